// SPDX-License-Identifier: GPL-3.0-or-later
// The clipboard payload, as the receiver decodes it: whatever another program put on the
// clipboard under our frame type (offered by FrameMimeData, which renders a Records frame as
// CSV for a spreadsheet), or employee CSV pasted from anywhere, which becomes frames through
// RecordText as in ClipboardReceiverEndpoint::takePaste.
//
// Input: one byte whose low bit picks the flavour (0: a frame, 1: pasted CSV) and whose upper
// bits give the records per frame of a paste (1..128), then the clipboard's bytes.
#include "fuzzharness.h"

#include "clipboardformats.h"
#include "csv.h"
#include "framecodec.h"
#include "framemimedata.h"
#include "recordtext.h"

namespace {

using Fuzz::require;

constexpr quint32 PasteSender = 0x50000001;

// The records of frames made from a paste: every frame valid, numbered 1, 2, 3…, none larger
// than asked.
EmployeeList recordsOf(const QByteArrayList &frames, int recordsPerFrame)
{
    EmployeeList records;
    quint64 sequence = 0;
    for (const QByteArray &frame : frames) {
        DecodedFrame decoded;
        require(FrameCodec::decode(frame, &decoded) == DecodeError::None, "a paste becomes valid frames");
        require(decoded.header.type == Wire::FrameType::Records && decoded.header.senderId == PasteSender
                    && decoded.header.sequence == ++sequence,
                "paste frames are Records frames of the paste's sender, numbered in order");
        require(decoded.records.size() >= 1 && decoded.records.size() <= recordsPerFrame,
                "no paste frame is empty or larger than asked");
        records += decoded.records;
    }
    return records;
}

void checkPaste(const QByteArray &text, int recordsPerFrame)
{
    if (!RecordText::looksLikeEmployeeCsv(text))
        return; // ordinary copying and pasting: the receiver ignores it
    QString error;
    const QByteArrayList frames = RecordText::framesFromCsv(text, PasteSender, recordsPerFrame, &error);
    EmployeeList imported;
    const Csv::Result result = Csv::parseEmployees(text, &imported);
    if (!error.isEmpty()) {
        require(frames.isEmpty() && !result.ok && error == result.error, "a bad paste gives no frame, and the import's sentence");
        return;
    }
    require(result.ok && recordsOf(frames, recordsPerFrame) == imported, "a paste's frames carry every record, in order");
    // What the sender offers for those frames pastes back to the same records.
    for (const QByteArray &frame : frames) {
        const FrameMimeData offered(frame);
        EmployeeList back;
        require(Csv::parseEmployees(offered.data(QStringLiteral("text/csv")), &back).ok, "offered CSV imports");
        DecodedFrame decoded;
        FrameCodec::decode(frame, &decoded);
        require(back == decoded.records, "offered CSV carries the frame's records");
    }
}

void checkFrame(const QByteArray &bytes)
{
    const FrameMimeData offered(bytes);
    require(offered.hasFormat(ClipboardFormats::frameMime()) && offered.data(ClipboardFormats::frameMime()) == bytes,
            "the frame itself is offered unchanged");
    DecodedFrame decoded;
    const bool validRecords = FrameCodec::decode(bytes, &decoded) == DecodeError::None
                              && decoded.header.type == Wire::FrameType::Records;
    const QByteArray csv = offered.data(QStringLiteral("text/csv"));
    const QByteArray tabs = offered.data(QStringLiteral("text/plain"));
    if (!validRecords) {
        require(csv.isEmpty() && tabs.isEmpty(), "no text is made from bytes that are not a valid Records frame");
        return;
    }
    require(offered.hasFormat(QStringLiteral("text/csv")) && offered.hasFormat(QStringLiteral("text/plain")),
            "a Records frame is offered as text");
    require(tabs.count('\n') == decoded.records.size() + 1, "tab-separated text has a line per record and a header");
    EmployeeList back;
    require(Csv::parseEmployees(csv, &back).ok && back == decoded.records, "the offered CSV imports back to the frame's records");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    const std::uint8_t choice = input.u8();
    const QByteArray bytes(reinterpret_cast<const char *>(input.position()), qsizetype(input.remaining()));
    if (choice & 1)
        checkPaste(bytes, 1 + (choice >> 1));
    else
        checkFrame(bytes);
    return 0;
}
