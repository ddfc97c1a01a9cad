// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqwire.h"

#include "frameheader.h"

#include <QDateTime>
#include <QtEndian>

namespace ZeroMqWire {

qint64 maxFrameBytes()
{
    return qint64(Wire::MaxFrameBytes);
}

QByteArray senderHello(const QString &description)
{
    const QByteArray payload = description.toUtf8().left(256);
    QByteArray frame(Wire::HeaderSize, '\0');
    char *h = frame.data();
    qToLittleEndian<quint32>(Wire::Magic, h + Wire::Offset::Magic);
    qToLittleEndian<quint16>(Wire::Version, h + Wire::Offset::Version);
    h[Wire::Offset::Type] = char(Wire::FrameType::Hello);
    qToLittleEndian<quint64>(quint64(QDateTime::currentMSecsSinceEpoch()) * 1000, h + Wire::Offset::Timestamp);
    qToLittleEndian<quint32>(quint32(payload.size()), h + Wire::Offset::PayloadLength);
    frame += payload;
    // The CRC covers header bytes 0..35 and then the payload.
    const quint32 crc = FrameCodec::crc32(payload.constData(), payload.size(), FrameCodec::crc32(frame.constData(), Wire::CrcOffset));
    qToLittleEndian<quint32>(crc, frame.data() + Wire::Offset::Crc);
    return frame;
}

QString frameProblem(const QByteArray &message, qint64 limit)
{
    if (message.size() > limit)
        return QStringLiteral("it is %1 bytes, more than the %2 bytes this receiver takes in one frame").arg(message.size()).arg(limit);
    FrameHeader header;
    const DecodeError error = FrameCodec::peekHeader(message.constData(), message.size(), &header);
    if (error != DecodeError::None)
        return decodeErrorSentence(error);
    const qint64 whole = qint64(Wire::HeaderSize) + header.payloadLength;
    if (whole != message.size())
        return QStringLiteral("its header announces a frame of %1 bytes but the message holds %2; one ZeroMQ message must "
                              "be exactly one frame").arg(whole).arg(message.size());
    return {};
}

bool isHello(const QByteArray &frame)
{
    return frame.size() > Wire::Offset::Type && quint8(frame.at(Wire::Offset::Type)) == quint8(Wire::FrameType::Hello);
}

QString helloDescription(const QByteArray &frame)
{
    QString text = QString::fromUtf8(frame.mid(Wire::HeaderSize, 256)).left(120);
    for (QChar &c : text)
        if (!c.isPrint())
            c = QLatin1Char('?');
    return text;
}

} // namespace ZeroMqWire

ZeroMqMessageDevice::ZeroMqMessageDevice(std::function<void(const QByteArray &)> send, QObject *parent)
    : QIODevice(parent), m_send(std::move(send))
{
    open(QIODevice::WriteOnly | QIODevice::Unbuffered);
}

qint64 ZeroMqMessageDevice::writeData(const char *data, qint64 size)
{
    m_send(QByteArray(data, qsizetype(size)));
    return size;
}
