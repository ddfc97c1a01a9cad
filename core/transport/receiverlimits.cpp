// SPDX-License-Identifier: GPL-3.0-or-later
#include "receiverlimits.h"

#include <QMutex>

namespace {

// Endpoints may be created on other threads (the window's benchmark).
QMutex &limitsLock()
{
    static QMutex lock;
    return lock;
}

ReceiverLimits &processLimits()
{
    static ReceiverLimits limits;
    return limits;
}

} // namespace

ReceiverLimits ReceiverLimits::current()
{
    const QMutexLocker locker(&limitsLock());
    return processLimits();
}

void ReceiverLimits::setCurrent(const ReceiverLimits &limits)
{
    const QMutexLocker locker(&limitsLock());
    processLimits() = limits;
}
