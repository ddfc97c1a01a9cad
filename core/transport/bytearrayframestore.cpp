// SPDX-License-Identifier: GPL-3.0-or-later
#include "bytearrayframestore.h"

#include <utility>

namespace {
class ByteArrayFrameBuffer final : public ipcw::native::FrameBuffer
{
public:
    explicit ByteArrayFrameBuffer(std::size_t reserve) { bytes.reserve(qsizetype(reserve)); }

    std::uint8_t *extend(std::size_t size) override
    {
        const qsizetype old = bytes.size();
        bytes.resize(old + qsizetype(size)); // Qt 6 leaves the new bytes uninitialised: no memset
        return reinterpret_cast<std::uint8_t *>(bytes.data()) + old;
    }
    const std::uint8_t *data() const override { return reinterpret_cast<const std::uint8_t *>(bytes.constData()); }
    std::size_t size() const override { return std::size_t(bytes.size()); }

    QByteArray bytes;
};
} // namespace

std::unique_ptr<ipcw::native::FrameBuffer> ByteArrayFrameStore::create(std::size_t reserve)
{
    return std::make_unique<ByteArrayFrameBuffer>(reserve);
}

void ByteArrayFrameStore::deliver(std::unique_ptr<ipcw::native::FrameBuffer> frame)
{
    // A channel that keeps the contract hands back only this store's buffers; any other is copied.
    if (auto *ours = dynamic_cast<ByteArrayFrameBuffer *>(frame.get()))
        m_delivered = std::move(ours->bytes);
    else
        m_delivered = QByteArray(reinterpret_cast<const char *>(frame->data()), qsizetype(frame->size()));
    m_hasDelivered = true;
}

QByteArray ByteArrayFrameStore::takeFrame(const std::vector<std::uint8_t> &frame)
{
    if (!m_hasDelivered)
        return QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size()));
    m_hasDelivered = false;
    return std::exchange(m_delivered, QByteArray());
}
