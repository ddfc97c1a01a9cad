// SPDX-License-Identifier: GPL-3.0-or-later
// Runs one fuzz harness without libFuzzer, over the files and folders given on the command line:
// the committed corpus and crash files in CTest, or a fuzzer's new crash file by hand. Built
// once per harness (replay_<harness>), with any compiler.
#include "fuzzharness.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace {

// The input being replayed, for the message when a harness aborts on it.
char currentInput[4096] = "";

extern "C" void nameInputOnAbort(int)
{
    const char prefix[] = "replay_corpus: the input that broke a promise: ";
    [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    ignored = ::write(STDERR_FILENO, currentInput, std::strlen(currentInput));
    ignored = ::write(STDERR_FILENO, "\n", 1);
    std::signal(SIGABRT, SIG_DFL);
    std::raise(SIGABRT);
}

QStringList inputFiles(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isDir())
        return {path};
    QStringList files;
    for (const QFileInfo &entry : QDir(path).entryInfoList(QDir::Files, QDir::Name))
        files << entry.filePath();
    return files;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList paths = app.arguments().mid(1);
    if (paths.isEmpty()) {
        std::fprintf(stderr, "usage: %s <corpus folder or input file>...\n", argv[0]);
        return 2;
    }
    std::signal(SIGABRT, nameInputOnAbort);
    int replayed = 0;
    for (const QString &path : paths) {
        if (!QFileInfo::exists(path)) {
            std::fprintf(stderr, "replay_corpus: %s does not exist\n", qPrintable(path));
            return 1;
        }
        for (const QString &file : inputFiles(path)) {
            QFile f(file);
            if (!f.open(QIODevice::ReadOnly)) {
                std::fprintf(stderr, "replay_corpus: cannot read %s\n", qPrintable(file));
                return 1;
            }
            const QByteArray bytes = f.readAll();
            qstrncpy(currentInput, qPrintable(file), sizeof currentInput);
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.constData()), std::size_t(bytes.size()));
            ++replayed;
        }
    }
    // An empty or misplaced corpus would otherwise pass without testing anything.
    if (replayed == 0) {
        std::fprintf(stderr, "replay_corpus: no inputs found in %s\n", qPrintable(paths.join(QLatin1Char(' '))));
        return 1;
    }
    std::printf("replay_corpus: %d inputs replayed, all promises kept\n", replayed);
    return 0;
}
