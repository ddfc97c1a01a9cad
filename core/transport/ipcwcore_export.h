// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QtCore/qglobal.h>

#if defined(IPCWCORE_LIBRARY)
#  define IPCWCORE_EXPORT Q_DECL_EXPORT
#else
#  define IPCWCORE_EXPORT Q_DECL_IMPORT
#endif
