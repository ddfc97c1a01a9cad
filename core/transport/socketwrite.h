// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

class QByteArray;
class QIODevice;

// Writes a frame to a connected QAbstractSocket or QLocalSocket the way the bare system call
// would: on Unix, when nothing is queued before it and the connection is not encrypted, it is
// sent from the calling thread at once, without a copy into Qt's buffer; what the kernel does not
// take (or all of it, otherwise) is queued with write() for Qt to send when the socket is
// writable. QIODevice::write() alone always waits for the event loop's next pass, a wake-up more
// per message on a request-reply path.
//
// A failed direct send is left to Qt to find on its own next pass, so no error signal fires
// inside the caller's stack (flush() would emit errorOccurred() and disconnected() there, and a
// handler could delete what the caller is still using). Bytes sent directly are not announced
// by bytesWritten(), which only reports Qt's queue draining.
//
// Returns false when the socket refused the bytes because it has failed. A buffered socket
// reports that itself, from the event loop; a QTcpSocket connected QIODevice::Unbuffered only
// records it (error()), and its owner must report it.
IPCWCORE_EXPORT bool writeFrameToSocket(QIODevice *socket, const QByteArray &frame);
