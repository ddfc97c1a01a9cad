// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What both ends of the seqpacket transport need from the OS and agree on: the limit on one
// message, where the socket file of an address lives, and how to make a socket whose send
// buffer can hold that message. Kept apart so the endpoints read as connection logic only.

#include <QString>

#include <sys/un.h>

namespace SeqPacketSocket {

// The largest frame either end sends or accepts; keep equal to "maxMessageBytes" in
// seqpacket.json. Linux refuses (EMSGSIZE) a SOCK_SEQPACKET message longer than the sender's
// send buffer minus 32 bytes, and without privileges that buffer is at most 2 × wmem_max
// (2 × 212,992 bytes on a default Debian). Half of that leaves room for a lowered sysctl.
constexpr qint64 MaxMessageBytes = 200 * 1024;

// "$XDG_RUNTIME_DIR/ipcworkshop/seqpacket-<address>.sock", or false and a sentence when the
// address is not a plain name or the private folder cannot be had. `folder` gets the folder.
bool socketPathFor(const QString &address, QString *path, QString *folder, QString *error);

// The address of a socket file whose path socketPathFor() accepted (so it fits).
sockaddr_un addressOf(const QString &path);

// A non-blocking, close-on-exec SOCK_SEQPACKET socket, or -1 and a sentence.
int createSocket(QString *error);

// Asks for a large send buffer (more frames in flight, fewer wake-ups) and checks that what the
// kernel granted can carry a MaxMessageBytes frame. Empty, or the sentence saying what to change.
QString enlargeSendBuffer(int fd);

// Empty when this kernel can carry MaxMessageBytes frames; otherwise why not (for
// ITransport::unavailableReason(), checked without touching any address).
QString kernelLimitProblem();

// "local process 1234", from the credentials the kernel recorded when the peer connected.
QString describePeer(int fd);

// strerror() as a QString, for sentences.
QString errorText(int errnoValue);

} // namespace SeqPacketSocket
