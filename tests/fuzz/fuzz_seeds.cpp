// SPDX-License-Identifier: GPL-3.0-or-later
// Writes seed inputs for every fuzz harness into <folder>/<harness>/, made by the real encoders
// (frames by FrameCodec, CSV by Csv, datagrams by the mailslot's own header writer) and laid out
// as each harness reads its input. libFuzzer starts from these, then the corpus is minimised
// into tests/fuzz/corpus (scripts/fuzz.sh).
#include "csv.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "mailslotdatagram.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QtEndian>

#include <cstdio>

namespace {

constexpr quint64 Timestamp = 1700000000000000ull;

QByteArrayList frames()
{
    EmployeeGenerator generator(17);
    Employee extreme = generator.next();
    extreme.id = 0xFFFFFFFFu;
    extreme.salaryCents = -1;
    extreme.hireDate = QDate();
    extreme.name = QString(Wire::MaxFieldBytes, QLatin1Char('x'));
    extreme.title = QString();

    QByteArrayList seeds;
    for (int count : {1, 2, 5, 50}) {
        const EmployeeList records = generator.take(count);
        seeds << FrameCodec::encodeRecords(records.constData(), records.size(), quint64(count), 0xA1B2C3D4, Timestamp);
    }
    seeds << FrameCodec::encodeRecords(nullptr, 0, 9, 1, Timestamp);
    seeds << FrameCodec::encodeRecords(&extreme, 1, 10, 2, Timestamp);
    seeds << FrameCodec::encodeAck(50, 0xA1B2C3D4, 4, 58);
    seeds << FrameCodec::encodeControl(Wire::FrameType::Ping, 3, 7, QByteArray(100, '\x5A'), Timestamp);
    seeds << FrameCodec::encodeControl(Wire::FrameType::Pong, 3, 7, QByteArray(100, '\x5A'), Timestamp);
    seeds << FrameCodec::encodeControl(Wire::FrameType::Hello, 0, 7, "ipcworkshop sender 7", Timestamp);
    seeds << FrameCodec::encodeControl(Wire::FrameType::Bye, 11, 7, {}, Timestamp);
    return seeds;
}

// A few frames back to back, as a stream carries them.
QByteArray stream(const QByteArrayList &all)
{
    return all.at(0) + all.at(6) + all.at(1) + all.at(10);
}

QByteArray u16(quint16 v)
{
    QByteArray out(2, '\0');
    qToLittleEndian<quint16>(v, out.data());
    return out;
}

QByteArray datagram(ipcw::mailslot::DatagramKind kind, quint32 pid, quint32 frameNumber, quint32 offset, quint32 total,
                    const QByteArray &payload)
{
    ipcw::mailslot::DatagramHeader h;
    h.kind = kind;
    h.pid = pid;
    h.slot = 1;
    h.frameNumber = frameNumber;
    h.offset = offset;
    h.total = total;
    QByteArray out(int(ipcw::mailslot::DatagramHeaderBytes), '\0');
    ipcw::mailslot::writeDatagramHeader(reinterpret_cast<std::uint8_t *>(out.data()), h);
    out += payload;
    return u16(quint16(out.size())) + out;
}

// A frame in fragments of `piece` bytes, as Protocol::sendFragments cuts it.
QByteArray fragments(const QByteArray &frame, quint32 pid, quint32 frameNumber, int piece)
{
    QByteArray out;
    for (int at = 0; at < frame.size(); at += piece)
        out += datagram(ipcw::mailslot::DatagramKind::Fragment, pid, frameNumber, quint32(at), quint32(frame.size()),
                        frame.mid(at, piece));
    return out;
}

QByteArrayList mailslotSeeds(const QByteArrayList &all)
{
    using ipcw::mailslot::DatagramKind;
    const QByteArray hello = datagram(DatagramKind::Hello, 4321, 0, 0, 0, "ipcworkshop sender 4321");
    const QByteArray leave = datagram(DatagramKind::Leave, 4321, 0, 0, 0, {});
    return {
        QByteArray(1, '\0') + hello + fragments(all.at(1), 4321, 1, 100) + fragments(all.at(6), 4321, 2, 400) + leave,
        QByteArray(1, '\0') + hello + fragments(all.at(2), 4321, 1, 64) + datagram(DatagramKind::Wake, 4321, 0, 0, 0, {}),
        QByteArray(1, '\0') + fragments(all.at(0), 99, 1, 200), // no hello first
        QByteArray(1, '\1') + fragments(all.at(6), 1, 1, 10) + datagram(DatagramKind::Hello, 1, 0, 0, 0, {}) + leave,
    };
}

QByteArrayList namedPipeSeeds(const QByteArrayList &all)
{
    const QByteArray hellos = "hello 4321 4321-0\nhello 77 77-3\ngarbage\nhello 1";
    const QByteArray reads = QByteArray("\x03\x07\x28\xC7", 4);
    return {
        u16(quint16(hellos.size())) + hellos + reads + stream(all),
        u16(0) + QByteArray(1, '\0') + all.at(3),
        u16(18) + "hello 12 12-1\nhel" + QByteArray(1, '\0') + all.at(7) + all.at(9),
    };
}

QByteArrayList streamFramerSeeds(const QByteArrayList &all)
{
    return {
        QByteArray("\x03\x07\x28\xC7\xFF", 5) + stream(all),
        QByteArray("\x00\x04", 2) + all.at(3),
        QByteArray("\x01\x00\x01", 3) + all.at(5) + all.at(4),
    };
}

QByteArray employeeCsv(int count, quint64 seed)
{
    EmployeeGenerator generator(seed);
    return Csv::encode(generator.take(count));
}

QByteArrayList csvSeeds()
{
    return {
        QByteArray(1, '\x10') + employeeCsv(20, 3),
        QByteArray(1, '\0') + employeeCsv(3, 5),
        QByteArray(1, '\x03') + "\xEF\xBB\xBFid,name,department,title,email,salary,hire_date,extra\r\n"
            "7,\"Doe, \"\"Jo\"\"\",R&D,'=SUM(A1),jo@example.com,1234.5,2020-02-29,x\r\n\n"
            "8,Ann,,,,-0.01,,y",
    };
}

QByteArrayList clipboardSeeds(const QByteArrayList &all)
{
    return {
        QByteArray(1, '\0') + all.at(1),
        QByteArray(1, '\0') + all.at(6),
        QByteArray(1, '\x05') + employeeCsv(7, 9),
        QByteArray(1, '\x01') + employeeCsv(1, 11) + "oops,\"unfinished\r\n",
    };
}

// A string literal's bytes, zeros included.
template <std::size_t N>
QByteArray bytes(const char (&literal)[N])
{
    return QByteArray(literal, qsizetype(N - 1));
}

// Sequences of the harness's operations (see fuzz_shmring.cpp): honest writes and reads,
// hostile writes in between.
QByteArrayList shmSeeds()
{
    return {
        // The ring alone, 1 KiB: write, read, write, hostile write, read, read with a write between.
        bytes("\x00\x07" "\x01\x40\x00\x41" "\x02\x00" "\x01\x20\x01\x42" "\x00\x00\x20\x00\x00\x00\x04\xFF\xFF\xFF\xFF"
                   "\x02\x00" "\x03\x03\x01\x00\x00\x00\x00\x04\x01\x02\x03\x04" "\x04" "\x05"),
        // The session: send, receive, send a large frame (several chunks), receive, hostile write, receive.
        bytes("\x01" "\x01\x00\x01\x55" "\x02" "\x01\x50\x9C\x66" "\x02"
                   "\x00\x40\x20\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00" "\x02"),
    };
}

QByteArrayList metadataSeeds()
{
    QByteArrayList seeds;
    const QDir plugins(QStringLiteral(IPCW_SOURCE_DIR "/plugins"));
    for (const QString &dir : plugins.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        for (const QFileInfo &json : QDir(plugins.filePath(dir)).entryInfoList({QStringLiteral("*.json")})) {
            QFile f(json.filePath());
            if (f.open(QIODevice::ReadOnly))
                seeds << f.readAll();
        }
    }
    if (!seeds.isEmpty())
        seeds << "{\"IID\": \"x\", \"MetaData\": " + seeds.first() + "}";
    return seeds;
}

bool write(const QString &folder, const QString &harness, const QByteArrayList &seeds)
{
    const QDir dir(QDir(folder).filePath(harness));
    if (!QDir().mkpath(dir.path()))
        return false;
    for (qsizetype i = 0; i < seeds.size(); ++i) {
        QFile f(dir.filePath(QStringLiteral("seed-%1").arg(i, 2, 10, QLatin1Char('0'))));
        if (!f.open(QIODevice::WriteOnly) || f.write(seeds.at(i)) != seeds.at(i).size())
            return false;
    }
    std::printf("fuzz_seeds: %d seeds for %s\n", int(seeds.size()), qPrintable(harness));
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (app.arguments().size() != 2) {
        std::fprintf(stderr, "usage: %s <folder>\n", argv[0]);
        return 2;
    }
    const QString folder = app.arguments().at(1);
    const QByteArrayList all = frames();
    QByteArrayList decode = all;
    decode << stream(all);
    const bool ok = write(folder, QStringLiteral("decode"), decode)
                    && write(folder, QStringLiteral("streamframer"), streamFramerSeeds(all))
                    && write(folder, QStringLiteral("mailslot"), mailslotSeeds(all))
                    && write(folder, QStringLiteral("namedpipe"), namedPipeSeeds(all))
                    && write(folder, QStringLiteral("shmring"), shmSeeds())
                    && write(folder, QStringLiteral("clipboard"), clipboardSeeds(all))
                    && write(folder, QStringLiteral("csvreader"), csvSeeds())
                    && write(folder, QStringLiteral("pluginmetadata"), metadataSeeds());
    return ok ? 0 : 1;
}
