// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the fuzz harness without libFuzzer: over valid frames mutated in seeded random ways
// (the CTest), over files given on the command line (replaying a fuzzer's crash file), or
// writes the valid frames out as a seed corpus for the real fuzzer.
#include "fuzz_decode.h"

#include "employeegenerator.h"
#include "framecodec.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QRandomGenerator>
#include <QStringList>
#include <QtEndian>

#include <cstdio>

namespace {

constexpr quint64 Timestamp = 1700000000000000ull;

QByteArrayList seedFrames()
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
    // A stream of several frames, as TCP would carry it.
    seeds << seeds.at(0) + seeds.at(6) + seeds.at(1);
    return seeds;
}

void reseal(QByteArray &frame)
{
    if (frame.size() < Wire::HeaderSize)
        return;
    quint32 crc = FrameCodec::crc32(frame.constData(), Wire::CrcOffset);
    crc = FrameCodec::crc32(frame.constData() + Wire::HeaderSize, frame.size() - Wire::HeaderSize, crc);
    qToLittleEndian<quint32>(crc, frame.data() + Wire::CrcOffset);
}

quint32 interestingLength(QRandomGenerator &rng, quint32 current)
{
    const quint32 choices[] = {0, 1, current - 1, current + 1, current * 2, Wire::MaxPayloadBytes,
                               Wire::MaxPayloadBytes + 1, 0xFFFFFFFFu, 0x80000000u, rng.generate()};
    return choices[rng.bounded(int(std::size(choices)))];
}

QByteArray mutate(const QByteArray &seed, const QByteArrayList &all, QRandomGenerator &rng)
{
    QByteArray m = seed;
    const int kind = rng.bounded(8);
    switch (kind) {
    case 0: // bit flips
        for (int i = rng.bounded(1, 9); i > 0 && !m.isEmpty(); --i) {
            const int bit = rng.bounded(int(m.size() * 8));
            m[bit / 8] = char(m.at(bit / 8) ^ (1 << (bit % 8)));
        }
        break;
    case 1: // truncation
        m.truncate(rng.bounded(int(m.size())));
        break;
    case 2: // payload length
        if (m.size() >= Wire::HeaderSize)
            qToLittleEndian<quint32>(interestingLength(rng, qFromLittleEndian<quint32>(m.constData() + Wire::Offset::PayloadLength)),
                                     m.data() + Wire::Offset::PayloadLength);
        break;
    case 3: // record count
        if (m.size() >= Wire::HeaderSize)
            qToLittleEndian<quint32>(interestingLength(rng, qFromLittleEndian<quint32>(m.constData() + Wire::Offset::RecordCount)),
                                     m.data() + Wire::Offset::RecordCount);
        break;
    case 4: // a u16 somewhere in the payload, where text lengths live
        if (m.size() > Wire::HeaderSize + 2) {
            const quint16 choices[] = {0, 1, 4096, 4097, 0xFFFF, quint16(rng.generate())};
            const int at = rng.bounded(Wire::HeaderSize, int(m.size()) - 1);
            qToLittleEndian<quint16>(choices[rng.bounded(int(std::size(choices)))], m.data() + at);
        }
        break;
    case 5: // insert or delete a run of bytes
        if (rng.bounded(2) && !m.isEmpty())
            m.remove(rng.bounded(int(m.size())), rng.bounded(1, 9));
        else
            m.insert(rng.bounded(int(m.size()) + 1), QByteArray(rng.bounded(1, 9), char(rng.bounded(256))));
        break;
    case 6: // one byte set to a value decoders tend to mishandle
        if (!m.isEmpty()) {
            const char choices[] = {'\0', '\x01', '\x7F', '\x80', '\xC0', '\xED', '\xEF', '\xF4', '\xFF'};
            m[rng.bounded(int(m.size()))] = choices[rng.bounded(int(std::size(choices)))];
        }
        break;
    case 7: // splice the head of this frame onto the tail of another
        {
            const QByteArray &other = all.at(rng.bounded(int(all.size())));
            m = m.left(rng.bounded(int(m.size()) + 1)) + other.mid(rng.bounded(int(other.size()) + 1));
        }
        break;
    }
    // Half the time make the CRC right again, so the mutation reaches the checks behind it.
    if (rng.bounded(2))
        reseal(m);
    return m;
}

void run(const QByteArray &bytes)
{
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.constData()), std::size_t(bytes.size()));
}

int replayFiles(const QStringList &paths)
{
    int count = 0;
    for (const QString &path : paths) {
        QStringList files;
        if (QFileInfo(path).isDir()) {
            for (const QFileInfo &info : QDir(path).entryInfoList(QDir::Files))
                files << info.filePath();
        } else {
            files << path;
        }
        for (const QString &file : std::as_const(files)) {
            QFile f(file);
            if (!f.open(QIODevice::ReadOnly)) {
                std::fprintf(stderr, "replay_corpus: cannot read %s\n", qPrintable(file));
                return 1;
            }
            run(f.readAll());
            ++count;
        }
    }
    std::printf("replay_corpus: %d inputs replayed, all promises kept\n", count);
    return 0;
}

int writeCorpus(const QString &dir)
{
    if (!QDir().mkpath(dir))
        return 1;
    const QByteArrayList seeds = seedFrames();
    for (qsizetype i = 0; i < seeds.size(); ++i) {
        QFile f(QDir(dir).filePath(QStringLiteral("seed-%1.bin").arg(i, 2, 10, QLatin1Char('0'))));
        if (!f.open(QIODevice::WriteOnly) || f.write(seeds.at(i)) != seeds.at(i).size())
            return 1;
    }
    std::printf("replay_corpus: wrote %d seed frames to %s\n", int(seeds.size()), qPrintable(dir));
    return 0;
}

int mutatedCorpus(int mutationsPerSeed)
{
    const QByteArrayList seeds = seedFrames();
    QRandomGenerator rng(0x1FC0DEC);
    QMap<DecodeError, int> outcomes;
    int runs = 0;
    for (const QByteArray &seed : seeds) {
        run(seed);
        ++runs;
        for (int i = 0; i < mutationsPerSeed; ++i) {
            const QByteArray input = mutate(seed, seeds, rng);
            run(input);
            ++runs;
            DecodedFrame ignored;
            ++outcomes[FrameCodec::decode(input, &ignored)];
        }
    }
    std::printf("replay_corpus: %d inputs from %d seeds, all promises kept; decode outcomes:", runs, int(seeds.size()));
    for (auto it = outcomes.cbegin(); it != outcomes.cend(); ++it)
        std::printf(" %d=%d", int(it.key()), it.value());
    std::printf(" (by DecodeError value, 0 = accepted)\n");
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    if (args.size() == 2 && args.first() == QLatin1String("--write-corpus"))
        return writeCorpus(args.at(1));
    int mutations = 5000;
    if (args.size() >= 2 && args.first() == QLatin1String("--mutations")) {
        mutations = args.at(1).toInt();
        args = args.mid(2);
    }
    if (!args.isEmpty())
        return replayFiles(args);
    return mutatedCorpus(mutations);
}
