// SPDX-License-Identifier: GPL-3.0-or-later
#include "deviceframer.h"

#include <QAbstractSocket>

DeviceFramer::DeviceFramer(QIODevice *device, QObject *parent) : QObject(parent), m_device(device)
{
    connect(device, &QIODevice::readyRead, this, &DeviceFramer::readAvailable);
}

QString DeviceFramer::incompleteFrameNote() const
{
    return incompleteFrameNote(m_reader.pendingBytes());
}

QString DeviceFramer::incompleteFrameNote(qsizetype pendingBytes)
{
    if (pendingBytes == 0)
        return {};
    return QStringLiteral("%1 bytes of an unfinished frame were discarded; every complete frame was kept.")
        .arg(pendingBytes);
}

QString DeviceFramer::outOfStepSentence(DecodeError error)
{
    return QStringLiteral("The stream is out of step and was closed. %1").arg(decodeErrorSentence(error));
}

void DeviceFramer::readAvailable()
{
    const QByteArrayList frames = m_reader.readFrom(m_device);
    for (const QByteArray &frame : frames)
        emit frameReady(frame);
    if (m_reader.failed())
        emit streamCorrupt(outOfStepSentence(m_reader.error()));
    else if (endedSilently())
        emit streamEnded();
}

bool DeviceFramer::endedSilently() const
{
    // Qt's unbuffered socket, when a read finds the stream's end, only records the error and
    // becomes Unconnected (QAbstractSocket::readData); it emits nothing.
    const auto *socket = qobject_cast<const QAbstractSocket *>(m_device);
    return socket && socket->openMode().testFlag(QIODevice::Unbuffered)
        && socket->state() == QAbstractSocket::UnconnectedState;
}
