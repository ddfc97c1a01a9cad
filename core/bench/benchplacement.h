// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Which CPUs the benchmark and its peer processes run on. A round trip between two processes
// on different CPUs pays for waking a sleeping CPU; two processes sharing one CPU hand it over
// directly. On a virtual machine the first costs tens of microseconds (the host must wake the
// guest's idle CPU), the second a few: left to the scheduler, a floor and the mechanism it is
// compared with can land differently and their ratio measures the placement, not the
// software. Placing both the same way makes the ratio mean something:
//
//   apart     this process on one CPU, every peer process on another: two processes on a
//             multi-core machine, as a sender and a receiver usually are
//   together  everything on one CPU: no idle CPU to wake, so what is left is the software's
//             own cost per round trip
//   any       the scheduler chooses (what a user's machine does; ratios vary from run to run)

#include "ipcwcore_export.h"

#include <QString>

namespace BenchPlacement {

enum class Mode { Any, Apart, Together };

// Which of this process's threads a Scope pins to the bench's CPU.
//   WholeProcess  every thread, and every thread started while the Scope lives: the command
//                 line, where the benchmark is all the process does
//   ThisThread    the thread that creates the Scope and the threads it starts meanwhile: a
//                 window, whose GUI thread must stay free to move where the scheduler likes
enum class Reach { WholeProcess, ThisThread };

// "any", "apart", "together"; false for anything else.
IPCWCORE_EXPORT bool parse(const QString &text, Mode *mode);
IPCWCORE_EXPORT QString name(Mode mode);

// While alive, the threads `reach` names run on the bench's CPU, and peers started with
// pinPeer() on theirs; afterwards those threads get back the CPUs they had. With fewer than two
// usable CPUs, apart becomes together and says so.
class IPCWCORE_EXPORT Scope
{
public:
    explicit Scope(Mode mode, Reach reach = Reach::WholeProcess);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

    // One sentence for the report: where this process and its peers ran.
    QString description() const { return m_description; }

private:
    bool m_pinned = false;
    Reach m_reach = Reach::WholeProcess;
    QString m_description;
};

// For QProcess::setChildProcessModifier: runs in the child between fork and exec (one system
// call, async-signal-safe) and moves it to the peers' CPU while a Scope pins; otherwise nothing.
IPCWCORE_EXPORT void pinPeer();

} // namespace BenchPlacement
