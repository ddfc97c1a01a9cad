// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchfanout.h"

#include "benchpeer.h"
#include "benchstats.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QRegularExpression>
#include <QUdpSocket>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

// Frames of 64 records, as the scaling rows send.
constexpr int FanOutBatch = 64;
// Enough for the slowest mechanism (the clipboard, a frame per round trip through X) to carry
// the records; a receiver that missed the Bye (udp may lose it) ends here with its summary.
constexpr qint64 BaseTimeoutSeconds = 30;
constexpr qint64 SlowestRecordsPerSecond = 5000;

// min, median (nearest rank) and max of the receivers' values, as three figures.
void addSpread(BenchRow *row, const QString &name, const QString &unit, std::vector<double> values, bool lowerIsBetter)
{
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double min = *lo, max = *hi;
    row->figures << BenchFigure::alone(name + QStringLiteral(" min"), unit, min, lowerIsBetter)
                 << BenchFigure::alone(name + QStringLiteral(" median"), unit, BenchStats::median(std::move(values)), lowerIsBetter)
                 << BenchFigure::alone(name + QStringLiteral(" max"), unit, max, lowerIsBetter);
}

// The headless sender's last line on its receivers ("At most 4 receivers known at once."); -1
// when it said none.
int receiversKnown(const QString &senderOutput)
{
    static const QRegularExpression re(QStringLiteral("At most (\\d+) receivers? known at once"));
    const QRegularExpressionMatch m = re.match(senderOutput);
    return m.hasMatch() ? m.captured(1).toInt() : -1;
}

} // namespace

QString BenchFanout::addressFor(const QString &transportId)
{
    if (transportId == QLatin1String("udp")) {
        // A port nobody uses, so concurrent runs and tests on the default group stay apart.
        QUdpSocket probe;
        probe.bind(QHostAddress::AnyIPv4, 0);
        return QStringLiteral("multicast:239.255.71.2:%1").arg(probe.localPort());
    }
    if (transportId == QLatin1String("clipboard"))
        return QStringLiteral("paced"); // every receiver on the display reads the one clipboard
    if (transportId == QLatin1String("zeromq-pubsub")) // receivers connect before the sender binds
        return QStringLiteral("ipcw-fanout-%1").arg(QCoreApplication::applicationPid());
    return {};
}

BenchRow BenchFanout::measure(const TransportMetadata &transport, int receivers, const Settings &settings)
{
    BenchRow row;
    row.mechanism = transport.id;
    row.test = QStringLiteral("fanout-%1").arg(receivers);
    row.label = QStringLiteral("1 sender -> %1 receiver%2, 64/frame").arg(receivers).arg(receivers > 1 ? QStringLiteral("s") : QString());
    row.floorNote = QStringLiteral("per receiver, min / median / max over the receivers; no floor");
    row.recordsPerFrame = FanOutBatch;
    const QString address = addressFor(transport.id);
    if (address.isEmpty()) {
        row.skipped = QStringLiteral("the benchmark knows no one-to-many address for %1").arg(transport.id);
        return row;
    }
    const int timeoutSeconds = int(BaseTimeoutSeconds + settings.records / SlowestRecordsPerSecond);
    const QStringList common{QStringLiteral("--headless"), QStringLiteral("--transport"), transport.id,
                             QStringLiteral("--address"), address, QStringLiteral("--timeout"), QString::number(timeoutSeconds)};

    // Every receiver listens before the sender starts, so each can get every frame.
    std::vector<std::unique_ptr<BenchPeer>> peers;
    for (int i = 0; i < receivers; ++i) {
        auto peer = std::make_unique<BenchPeer>();
        QString error;
        if (!peer->start(settings.program,
                         common + QStringList{QStringLiteral("--role"), QStringLiteral("receiver"), QStringLiteral("--senders"),
                                              QStringLiteral("1"), QStringLiteral("--discard")},
                         "listening", &error)) {
            row.skipped = QStringLiteral("receiver %1 of %2: %3").arg(i + 1).arg(receivers).arg(error);
            return row;
        }
        peers.push_back(std::move(peer));
    }
    BenchPeer sender;
    QString error;
    if (!sender.start(settings.program,
                      common + QStringList{QStringLiteral("--role"), QStringLiteral("sender"), QStringLiteral("--generate"),
                                           QString::number(settings.records), QStringLiteral("--batch"), QString::number(FanOutBatch)},
                      QByteArray(), &error)) {
        row.skipped = error;
        return row;
    }
    const int waitMs = (timeoutSeconds + 10) * 1000;
    const QString senderOutput = sender.finish(waitMs);

    std::vector<double> rates, lost, received;
    for (int i = 0; i < receivers; ++i) {
        const QString output = peers[size_t(i)]->finish(waitMs);
        const BenchProcess::ReceiverSummary s = BenchProcess::parseReceiverSummary(output);
        if (!s.known) {
            row.skipped = QStringLiteral("receiver %1 of %2 gave no summary: %3").arg(i + 1).arg(receivers)
                              .arg(output.trimmed().section(QLatin1Char('\n'), -1));
            return row;
        }
        rates.push_back(s.recordsPerSecond);
        lost.push_back(double(s.lost));
        received.push_back(double(s.records));
    }
    addSpread(&row, QStringLiteral("rec/s"), QStringLiteral("rec/s"), rates, false);
    addSpread(&row, QStringLiteral("lost"), QStringLiteral("frames"), lost, true);
    // The fewest records any receiver got: 0 means one heard nothing at all.
    row.figures << BenchFigure::alone(QStringLiteral("received min"), QStringLiteral("records"),
                                      *std::min_element(received.begin(), received.end()), false);
    if (transport.capabilities.knowsReceivers) {
        const int known = receiversKnown(senderOutput);
        if (known < 0)
            row.floorNote += QStringLiteral("; the sender did not say how many receivers it knew of: ")
                             + senderOutput.trimmed().section(QLatin1Char('\n'), -1);
        else
            row.figures << BenchFigure::alone(QStringLiteral("receivers known"), QStringLiteral("receivers"), known, false);
    } else {
        row.floorNote += QStringLiteral("; the sender cannot tell how many receivers listen");
    }
    return row;
}
