// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The POSIX backend's connect protocol: each sender writes one line "hello <pid> <token>\n" to
// the shared .connect FIFO. Anyone of the same user can write there, so the lines are parsed
// here, apart from the FIFOs, where the fuzzer can reach them. Qt-free and OS-free.

#include <cstddef>
#include <string>
#include <vector>

namespace ipcw::native::namedpipe {

// Longer lines are not from one of our senders.
constexpr std::size_t MaxHelloLine = 256;

struct HelloLine
{
    std::string pid;   // 1 to 10 decimal digits
    std::string token; // 1 to 40 digits and '-': names the sender's FIFO pair
};

// Takes the whole lines out of `pending`, the bytes read from .connect so far, leaving an
// unfinished last line there; that one is thrown away once it is longer than any hello.
inline std::vector<std::string> takeConnectLines(std::string &pending)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(pending.substr(start, nl - start));
    pending.erase(0, start);
    // Garbage without a newline would otherwise grow without bound.
    if (pending.size() > MaxHelloLine)
        pending.clear();
    return lines;
}

// True when `line` is "hello <pid> <token>"; anything else is not from one of our senders.
inline bool parseHelloLine(const std::string &line, HelloLine *hello)
{
    if (line.size() > MaxHelloLine || line.compare(0, 6, "hello ") != 0)
        return false;
    const std::size_t space = line.find(' ', 6);
    if (space == std::string::npos)
        return false;
    std::string pid = line.substr(6, space - 6);
    std::string token = line.substr(space + 1);
    if (pid.empty() || pid.size() > 10 || token.empty() || token.size() > 40
        || pid.find_first_not_of("0123456789") != std::string::npos
        || token.find_first_not_of("0123456789-") != std::string::npos)
        return false;
    hello->pid = std::move(pid);
    hello->token = std::move(token);
    return true;
}

} // namespace ipcw::native::namedpipe
