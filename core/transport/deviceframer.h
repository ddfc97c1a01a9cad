// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "framestreamreader.h"

#include <QObject>

class QIODevice;

// Reads whole frames from a connected stream device (QTcpSocket, QLocalSocket, a FIFO) and
// writes frames to it; a socket connected QIODevice::Unbuffered is read straight from the
// kernel (FrameStreamReader::readFrom). Shared by every stream-oriented plugin so each only
// deals with connecting and listening.
class IPCWCORE_EXPORT DeviceFramer : public QObject
{
    Q_OBJECT
public:
    explicit DeviceFramer(QIODevice *device, QObject *parent = nullptr);

    // "…; 123 bytes of an unfinished frame were discarded." or empty.
    QString incompleteFrameNote() const;
    // The same for a reader that holds `pendingBytes` of an unfinished frame.
    static QString incompleteFrameNote(qsizetype pendingBytes);
    // What streamCorrupt says when a header fails with `error`.
    static QString outOfStepSentence(DecodeError error);

signals:
    void frameReady(const QByteArray &frame);
    // The stream carried something that is not a frame: it is out of step and must be closed.
    void streamCorrupt(const QString &sentence);
    // An unbuffered socket's peer closed the stream (or it failed): Qt emits nothing then; the
    // socket's error() says which.
    void streamEnded();

private:
    void readAvailable();
    bool endedSilently() const;

    QIODevice *m_device;
    FrameStreamReader m_reader;
};
