// SPDX-License-Identifier: GPL-3.0-or-later
#include "xcbclipboardchannel.h"

#if defined(IPCW_CLIPBOARD_XCB)

#include "clipboardformats.h"
#include "frameheader.h"
#include "receiverlimits.h"
#include "recordtext.h"
#include "wireformat.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSocketNotifier>
#include <QTimer>

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

namespace {

// An owner that has not answered a conversion by then is given up on (Qt waits as long).
constexpr int ConversionTimeoutMs = 5000;
// An incremental (INCR) transfer we serve that made no progress for this long is dropped: the
// requestor went away or stopped reading.
constexpr int IncrStallMs = 5000;
// Incremental transfers served at once; a requestor asking for more is refused, so requests
// cannot pile up state (each is small, but they last until IncrStallMs).
constexpr std::size_t MaxIncrTransfers = 16;
// What one INCR step hands over.
constexpr qsizetype IncrChunkBytes = 1 << 20;
// What one ChangeProperty request holds besides its value.
constexpr qsizetype ChangePropertyHeaderBytes = 24;
// Every frame starts with Wire::Magic, these bytes on the wire.
constexpr char FrameMagic[] = "IPCW";
// A TARGETS list longer than this is not read further.
constexpr qsizetype MaxTargetsBytes = 64 * 1024;

struct Atoms
{
    xcb_atom_t clipboard = XCB_NONE;
    xcb_atom_t targets = XCB_NONE;
    xcb_atom_t incr = XCB_NONE;
    xcb_atom_t utf8String = XCB_NONE;
    xcb_atom_t textPlainUtf8 = XCB_NONE;
    xcb_atom_t textPlain = XCB_NONE;
    xcb_atom_t csv = XCB_NONE;
    xcb_atom_t frame = XCB_NONE;
    xcb_atom_t reply = XCB_NONE;
    xcb_atom_t property = XCB_NONE; // where owners put what we ask for, on our window
};

class XcbClipboardChannel final : public ClipboardChannel
{
public:
    XcbClipboardChannel(Watch watch, QObject *parent) : ClipboardChannel(parent), m_watch(watch) {}
    ~XcbClipboardChannel() override;

    QString connectToDisplay();
    void offerFrame(const QByteArray &frame) override;
    void offerReply(const QByteArray &reply) override;

private:
    // What this end owns on a selection: the payload under its target, and for a Records frame
    // its text, rendered on first demand.
    struct Offer
    {
        QByteArray payload;
        xcb_atom_t target = XCB_NONE;
        bool records = false;
        bool rendered = false;
        QByteArray csv;
        QByteArray tabSeparated;
    };
    // A value too large for one request, handed over a chunk each time the requestor deletes
    // the property (ICCCM's INCR).
    struct IncrTransfer
    {
        xcb_window_t requestor = XCB_NONE;
        xcb_atom_t property = XCB_NONE;
        xcb_atom_t type = XCB_NONE;
        QByteArray data;
        qsizetype offset = 0;
        QElapsedTimer idle;
    };
    // The one conversion this end waits for.
    enum class Asking { Nothing, Payload, Targets, Text };

    void offer(xcb_atom_t selection, xcb_atom_t target, const QByteArray &payload);
    void drain();
    void handle(const xcb_generic_event_t *event);

    // Owner side.
    void answer(const xcb_selection_request_event_t &request);
    bool give(Offer &offer, xcb_window_t requestor, xcb_atom_t property, xcb_atom_t target);
    bool put(xcb_window_t requestor, xcb_atom_t property, xcb_atom_t type, const QByteArray &data);
    void requestorDeleted(const xcb_property_notify_event_t &notify);
    void dropStalledTransfers();

    // Requestor side.
    void ownerChanged(const xcb_xfixes_selection_notify_event_t &notify);
    void ask(Asking what, xcb_atom_t target);
    // The frame on CLIPBOARD, or the reply on PRIMARY: what the other end offers us.
    void askForPayload() { ask(Asking::Payload, m_watch == Watch::Frames ? m_atoms.frame : m_atoms.reply); }
    void converted(const xcb_selection_notify_event_t &notify);
    void readIncrChunk();
    bool appendProperty(bool *empty);
    void refused();
    void finish();
    void done();
    // Gives up an incremental transfer to us (if one is under way, with a sentence saying `why`),
    // then whatever was asked.
    void giveUp(const QString &why);
    qsizetype limit() const;

    void flush();
    xcb_window_t createWindow(std::uint32_t eventMask);

    const Watch m_watch;
    xcb_connection_t *m_connection = nullptr;
    const xcb_screen_t *m_screen = nullptr;
    xcb_window_t m_window = XCB_NONE; // owns what we offer
    xcb_window_t m_reader = XCB_NONE; // where owners put what we ask for
    xcb_atom_t m_watched = XCB_NONE; // CLIPBOARD for frames, PRIMARY for replies
    Atoms m_atoms;
    int m_xfixesFirstEvent = 0;
    qsizetype m_maxPropertyBytes = 0; // the largest value one ChangeProperty request carries
    QSocketNotifier *m_notifier = nullptr;
    bool m_broken = false;

    std::map<xcb_atom_t, Offer> m_offers; // by selection
    std::vector<IncrTransfer> m_incrTransfers;
    QTimer m_incrCheck;

    Asking m_asking = Asking::Nothing;
    xcb_atom_t m_askingTarget = XCB_NONE;
    bool m_askAgain = false; // the owner changed while a conversion was under way
    xcb_timestamp_t m_ownerTime = XCB_CURRENT_TIME;
    bool m_incoming = false; // an INCR transfer to us is under way
    QByteArray m_notAFrame;  // what an owner gave for the frame target, until TARGETS says what it has
    QByteArray m_received;
    QTimer m_conversionTimeout;
    // Runs while an incremental transfer to us goes on and a newer value waits: an owner that
    // drips its value must not keep every later one out (ReceiverLimits::peerTimeoutMs).
    QTimer m_supersededTimeout;
};

XcbClipboardChannel::~XcbClipboardChannel()
{
    if (!m_connection)
        return;
    for (const xcb_window_t window : {m_window, m_reader})
        if (window != XCB_NONE)
            xcb_destroy_window(m_connection, window);
    xcb_disconnect(m_connection);
}

QString XcbClipboardChannel::connectToDisplay()
{
    int screenNumber = 0;
    m_connection = xcb_connect(nullptr, &screenNumber);
    if (xcb_connection_has_error(m_connection))
        return QStringLiteral("Cannot connect to the X display %1.").arg(qEnvironmentVariable("DISPLAY"));
    xcb_screen_iterator_t screens = xcb_setup_roots_iterator(xcb_get_setup(m_connection));
    for (int i = 0; i < screenNumber && screens.rem; ++i)
        xcb_screen_next(&screens);
    if (!screens.rem)
        return QStringLiteral("The X display has no screen %1.").arg(screenNumber);
    const xcb_query_extension_reply_t *xfixes = xcb_get_extension_data(m_connection, &xcb_xfixes_id);
    if (!xfixes || !xfixes->present)
        return QStringLiteral("The X display has no XFixes extension, which tells a program the clipboard changed.");
    m_xfixesFirstEvent = xfixes->first_event;
    // XFixes answers nothing before its version is asked (its specification).
    std::free(xcb_xfixes_query_version_reply(m_connection, xcb_xfixes_query_version(m_connection, 5, 0), nullptr));

    // Every name in one round trip.
    const std::pair<xcb_atom_t *, QString> names[] = {
        {&m_atoms.clipboard, QStringLiteral("CLIPBOARD")},
        {&m_atoms.targets, QStringLiteral("TARGETS")},
        {&m_atoms.incr, QStringLiteral("INCR")},
        {&m_atoms.utf8String, QStringLiteral("UTF8_STRING")},
        {&m_atoms.textPlainUtf8, QStringLiteral("text/plain;charset=utf-8")},
        {&m_atoms.textPlain, ClipboardFormats::textMime()},
        {&m_atoms.csv, ClipboardFormats::csvMime()},
        {&m_atoms.frame, ClipboardFormats::frameMime()},
        {&m_atoms.reply, ClipboardFormats::replyMime()},
        {&m_atoms.property, QStringLiteral("_IPCW_CLIPBOARD")},
    };
    std::vector<xcb_intern_atom_cookie_t> cookies;
    for (const auto &[atom, name] : names) {
        const QByteArray latin1 = name.toLatin1();
        cookies.push_back(xcb_intern_atom(m_connection, 0, std::uint16_t(latin1.size()), latin1.constData()));
    }
    for (std::size_t i = 0; i < cookies.size(); ++i) {
        xcb_intern_atom_reply_t *reply = xcb_intern_atom_reply(m_connection, cookies[i], nullptr);
        *names[i].first = reply ? reply->atom : xcb_atom_t(XCB_NONE);
        std::free(reply);
        if (*names[i].first == XCB_NONE)
            return QStringLiteral("The X server did not name the atom %1.").arg(names[i].second);
    }
    m_watched = m_watch == Watch::Frames ? m_atoms.clipboard : xcb_atom_t(XCB_ATOM_PRIMARY);

    // Two input-only windows: one owns what we offer, the other receives what we ask for and
    // tells us when an incremental transfer's next piece arrived on it.
    m_screen = screens.data;
    m_window = createWindow(0);
    m_reader = createWindow(XCB_EVENT_MASK_PROPERTY_CHANGE);
    // Also told when the owner's window or client goes: a conversion it will never answer is
    // given up on at once rather than after ConversionTimeoutMs.
    xcb_xfixes_select_selection_input(m_connection, m_window, m_watched,
                                      XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER
                                          | XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY
                                          | XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
    // In 4-byte units, with BIG-REQUESTS where the server has it (16 MiB on Xorg and Xvfb).
    m_maxPropertyBytes = qsizetype(xcb_get_maximum_request_length(m_connection)) * 4 - ChangePropertyHeaderBytes;
    flush();
    if (xcb_connection_has_error(m_connection))
        return QStringLiteral("The connection to the X display broke while the clipboard was being set up.");

    m_notifier = new QSocketNotifier(xcb_get_file_descriptor(m_connection), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &XcbClipboardChannel::drain);
    m_conversionTimeout.setSingleShot(true);
    m_conversionTimeout.setInterval(ConversionTimeoutMs);
    connect(&m_conversionTimeout, &QTimer::timeout, this, [this] {
        giveUp(QStringLiteral("nothing more came for %1 s").arg(ConversionTimeoutMs / 1000));
    });
    m_supersededTimeout.setSingleShot(true);
    m_supersededTimeout.setInterval(ReceiverLimits::current().peerTimeoutMs);
    connect(&m_supersededTimeout, &QTimer::timeout, this, [this] {
        giveUp(QStringLiteral("a newer value was waiting, and %1 s later it had not finished (--peer-timeout)")
                   .arg(double(m_supersededTimeout.interval()) / 1000.0));
    });
    m_incrCheck.setInterval(1000);
    connect(&m_incrCheck, &QTimer::timeout, this, &XcbClipboardChannel::dropStalledTransfers);
    // Replies read while setting up may have brought events with them, which the socket will
    // not announce again.
    QTimer::singleShot(0, this, &XcbClipboardChannel::drain);
    return {};
}

xcb_window_t XcbClipboardChannel::createWindow(std::uint32_t eventMask)
{
    const xcb_window_t window = xcb_generate_id(m_connection);
    xcb_create_window(m_connection, XCB_COPY_FROM_PARENT, window, m_screen->root, 0, 0, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
                      m_screen->root_visual, XCB_CW_EVENT_MASK, &eventMask);
    return window;
}

void XcbClipboardChannel::flush()
{
    xcb_flush(m_connection);
}

void XcbClipboardChannel::offerFrame(const QByteArray &frame)
{
    offer(m_atoms.clipboard, m_atoms.frame, frame);
}

void XcbClipboardChannel::offerReply(const QByteArray &reply)
{
    offer(XCB_ATOM_PRIMARY, m_atoms.reply, reply);
}

void XcbClipboardChannel::offer(xcb_atom_t selection, xcb_atom_t target, const QByteArray &payload)
{
    Offer &o = m_offers[selection];
    o = Offer{};
    o.payload = payload;
    o.target = target;
    FrameHeader header;
    o.records = target == m_atoms.frame && FrameCodec::peekHeader(payload.constData(), payload.size(), &header) == DecodeError::None
        && header.type == Wire::FrameType::Records;
    // CurrentTime: the server stamps it, so a later offer always wins over an earlier one.
    xcb_set_selection_owner(m_connection, m_window, selection, XCB_CURRENT_TIME);
    flush();
}

void XcbClipboardChannel::drain()
{
    // A slot connected to what we emit may delete us.
    const QPointer<XcbClipboardChannel> alive(this);
    while (alive && !m_broken) {
        xcb_generic_event_t *event = xcb_poll_for_event(m_connection);
        if (!event)
            break;
        handle(event);
        std::free(event);
    }
    if (alive && !m_broken && xcb_connection_has_error(m_connection)) {
        m_broken = true;
        m_notifier->setEnabled(false);
        m_conversionTimeout.stop();
        m_supersededTimeout.stop();
        m_incrCheck.stop();
        emit failed(QStringLiteral("The connection to the X display broke (the X server ended?): the clipboard can no "
                                   "longer be used by this program."));
    }
}

void XcbClipboardChannel::handle(const xcb_generic_event_t *event)
{
    switch (event->response_type & 0x7f) {
    case 0:
        // An X error for a request of ours, such as writing to the window of a requestor that
        // has gone: that one handover is lost, nothing else is.
        return;
    case XCB_SELECTION_REQUEST:
        answer(*reinterpret_cast<const xcb_selection_request_event_t *>(event));
        return;
    case XCB_SELECTION_CLEAR:
        // Someone else owns it now: what we offered there is nobody's business any more.
        m_offers.erase(reinterpret_cast<const xcb_selection_clear_event_t *>(event)->selection);
        return;
    case XCB_SELECTION_NOTIFY:
        converted(*reinterpret_cast<const xcb_selection_notify_event_t *>(event));
        return;
    case XCB_PROPERTY_NOTIFY: {
        const auto &notify = *reinterpret_cast<const xcb_property_notify_event_t *>(event);
        if (notify.window == m_reader) {
            if (m_incoming && notify.atom == m_atoms.property && notify.state == XCB_PROPERTY_NEW_VALUE)
                readIncrChunk();
        } else if (notify.state == XCB_PROPERTY_DELETE) {
            requestorDeleted(notify);
        }
        return;
    }
    default:
        if ((event->response_type & 0x7f) == m_xfixesFirstEvent + XCB_XFIXES_SELECTION_NOTIFY)
            ownerChanged(*reinterpret_cast<const xcb_xfixes_selection_notify_event_t *>(event));
        return;
    }
}

// --- Owner side -------------------------------------------------------------------------------

void XcbClipboardChannel::answer(const xcb_selection_request_event_t &request)
{
    // ICCCM: a requestor that names no property (an obsolete one) gets the target's name.
    const xcb_atom_t property = request.property == XCB_NONE ? request.target : request.property;
    const auto offer = m_offers.find(request.selection);
    const bool given = request.owner == m_window && offer != m_offers.end()
        && give(offer->second, request.requestor, property, request.target);
    xcb_selection_notify_event_t notify{};
    notify.response_type = XCB_SELECTION_NOTIFY;
    notify.time = request.time;
    notify.requestor = request.requestor;
    notify.selection = request.selection;
    notify.target = request.target;
    notify.property = given ? property : xcb_atom_t(XCB_NONE);
    xcb_send_event(m_connection, 0, request.requestor, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char *>(&notify));
    flush();
}

bool XcbClipboardChannel::give(Offer &offer, xcb_window_t requestor, xcb_atom_t property, xcb_atom_t target)
{
    const bool text = target == m_atoms.csv || target == m_atoms.textPlain || target == m_atoms.textPlainUtf8
        || target == m_atoms.utf8String;
    if (target == m_atoms.targets) {
        std::vector<xcb_atom_t> targets{m_atoms.targets, offer.target};
        if (offer.records)
            targets.insert(targets.end(), {m_atoms.csv, m_atoms.textPlainUtf8, m_atoms.textPlain, m_atoms.utf8String});
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, requestor, property, XCB_ATOM_ATOM, 32,
                            std::uint32_t(targets.size()), targets.data());
        return true;
    }
    if (target == offer.target)
        return put(requestor, property, target, offer.payload);
    if (!text || !offer.records)
        return false;
    if (!offer.rendered) {
        offer.rendered = true;
        RecordText::renderFrame(offer.payload, &offer.csv, &offer.tabSeparated);
    }
    return put(requestor, property, target, target == m_atoms.csv ? offer.csv : offer.tabSeparated);
}

// False when the value cannot be handed over now.
bool XcbClipboardChannel::put(xcb_window_t requestor, xcb_atom_t property, xcb_atom_t type, const QByteArray &data)
{
    if (data.size() <= m_maxPropertyBytes) {
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, requestor, property, type, 8, std::uint32_t(data.size()),
                            data.constData());
        return true;
    }
    if (m_incrTransfers.size() >= MaxIncrTransfers)
        return false;
    // Too large for one request: announce the size under INCR; each time the requestor deletes
    // the property, the next piece goes in, and an empty one ends it.
    const std::uint32_t propertyChanges = XCB_EVENT_MASK_PROPERTY_CHANGE;
    xcb_change_window_attributes(m_connection, requestor, XCB_CW_EVENT_MASK, &propertyChanges);
    const std::uint32_t size = std::uint32_t(data.size());
    xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, requestor, property, m_atoms.incr, 32, 1, &size);
    IncrTransfer transfer;
    transfer.requestor = requestor;
    transfer.property = property;
    transfer.type = type;
    transfer.data = data; // shared, not copied
    transfer.idle.start();
    m_incrTransfers.push_back(std::move(transfer));
    if (!m_incrCheck.isActive())
        m_incrCheck.start();
    return true;
}

void XcbClipboardChannel::requestorDeleted(const xcb_property_notify_event_t &notify)
{
    const auto transfer = std::find_if(m_incrTransfers.begin(), m_incrTransfers.end(), [&](const IncrTransfer &t) {
        return t.requestor == notify.window && t.property == notify.atom;
    });
    if (transfer == m_incrTransfers.end())
        return;
    const qsizetype piece = std::min(IncrChunkBytes, transfer->data.size() - transfer->offset);
    xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, transfer->requestor, transfer->property, transfer->type, 8,
                        std::uint32_t(piece), transfer->data.constData() + transfer->offset);
    transfer->offset += piece;
    transfer->idle.start();
    if (piece == 0) {
        // The empty piece was the last: stop listening to that window unless another transfer
        // to it is still going.
        const xcb_window_t requestor = transfer->requestor;
        m_incrTransfers.erase(transfer);
        if (std::none_of(m_incrTransfers.begin(), m_incrTransfers.end(),
                         [requestor](const IncrTransfer &t) { return t.requestor == requestor; })) {
            const std::uint32_t none = XCB_EVENT_MASK_NO_EVENT;
            xcb_change_window_attributes(m_connection, requestor, XCB_CW_EVENT_MASK, &none);
        }
    }
    flush();
}

void XcbClipboardChannel::dropStalledTransfers()
{
    m_incrTransfers.erase(std::remove_if(m_incrTransfers.begin(), m_incrTransfers.end(),
                                         [](const IncrTransfer &t) { return t.idle.hasExpired(IncrStallMs); }),
                          m_incrTransfers.end());
    if (m_incrTransfers.empty())
        m_incrCheck.stop();
}

// --- Requestor side ---------------------------------------------------------------------------

void XcbClipboardChannel::ownerChanged(const xcb_xfixes_selection_notify_event_t &notify)
{
    if (notify.selection != m_watched || notify.owner == m_window)
        return;
    if (notify.subtype != XCB_XFIXES_SELECTION_EVENT_SET_SELECTION_OWNER || notify.owner == XCB_NONE) {
        // The owner went (or gave the selection up): whatever we were asking it will not come.
        if (m_asking != Asking::Nothing)
            giveUp(QStringLiteral("its owner let go of the clipboard or ended"));
        return;
    }
    m_ownerTime = notify.selection_timestamp;
    if (m_asking != Asking::Nothing) {
        m_askAgain = true; // only the latest value matters: ask once the current answer is in
        if (m_incoming && !m_supersededTimeout.isActive())
            m_supersededTimeout.start();
        return;
    }
    askForPayload();
}

void XcbClipboardChannel::ask(Asking what, xcb_atom_t target)
{
    m_asking = what;
    m_askingTarget = target;
    m_incoming = false;
    m_received.clear();
    xcb_convert_selection(m_connection, m_reader, m_watched, target, m_atoms.property, m_ownerTime);
    flush();
    m_conversionTimeout.start();
}

qsizetype XcbClipboardChannel::limit() const
{
    switch (m_asking) {
    case Asking::Targets: return MaxTargetsBytes;
    case Asking::Text: return ClipboardFormats::MaxTextBytes + 1;
    case Asking::Payload:
    case Asking::Nothing: break;
    }
    // One byte more than a frame may be: the codec then refuses it with its own sentence.
    return qsizetype(Wire::MaxFrameBytes) + 1;
}

void XcbClipboardChannel::converted(const xcb_selection_notify_event_t &notify)
{
    // An answer to a conversion given up on, or to someone else's, is not ours to read.
    if (m_asking == Asking::Nothing || notify.requestor != m_reader || notify.selection != m_watched
        || notify.target != m_askingTarget)
        return;
    if (notify.property == XCB_NONE) {
        refused();
        return;
    }
    bool empty = false;
    if (!appendProperty(&empty)) {
        done();
        return;
    }
    if (!m_incoming)
        finish();
}

// Reads our property, deleting it, and adds its value to what arrived, up to limit(). An INCR
// announcement starts an incremental transfer instead. False when there was nothing to read.
bool XcbClipboardChannel::appendProperty(bool *empty)
{
    const qsizetype room = std::max<qsizetype>(0, limit() - m_received.size());
    xcb_get_property_reply_t *reply = xcb_get_property_reply(
        m_connection,
        xcb_get_property(m_connection, 1, m_reader, m_atoms.property, XCB_GET_PROPERTY_TYPE_ANY, 0,
                         std::uint32_t((room + 3) / 4)),
        nullptr);
    if (!reply)
        return false;
    if (reply->type == m_atoms.incr && !m_incoming) {
        // The owner hands it over piece by piece; our delete (above) asked for the first.
        m_incoming = true;
        std::free(reply);
        m_conversionTimeout.start();
        if (m_askAgain)
            m_supersededTimeout.start();
        return true;
    }
    const int length = xcb_get_property_value_length(reply);
    *empty = length == 0 && reply->bytes_after == 0;
    const auto *value = static_cast<const char *>(xcb_get_property_value(reply));
    m_received.append(value, std::min<qsizetype>(length, room));
    // More than we take: the server deletes only what was read to the end, so delete the rest.
    if (reply->bytes_after > 0)
        xcb_delete_property(m_connection, m_reader, m_atoms.property);
    std::free(reply);
    return true;
}

void XcbClipboardChannel::readIncrChunk()
{
    bool empty = false;
    if (!appendProperty(&empty)) {
        done();
        return;
    }
    flush(); // the delete asks the owner for the next piece
    m_conversionTimeout.start();
    if (empty)
        finish();
}

void XcbClipboardChannel::refused()
{
    // A receiver whose owner has no frame: someone copied something else. Which text does it have?
    if (m_asking == Asking::Payload && m_watch == Watch::Frames) {
        ask(Asking::Targets, m_atoms.targets);
        return;
    }
    done();
}

void XcbClipboardChannel::finish()
{
    const Asking what = m_asking;
    const QByteArray value = m_received;
    if (what == Asking::Targets) {
        // The richest text the owner offers: CSV, then UTF-8, then Latin-1.
        const auto *targets = reinterpret_cast<const xcb_atom_t *>(value.constData());
        const std::vector<xcb_atom_t> offered(targets, targets + value.size() / qsizetype(sizeof(xcb_atom_t)));
        const QByteArray notAFrame = std::exchange(m_notAFrame, QByteArray());
        if (!notAFrame.isEmpty() && std::find(offered.begin(), offered.end(), m_atoms.frame) != offered.end()) {
            // It claims to hold a frame: what it gave is one, a broken one, for the session to refuse.
            done();
            emit frameArrived(notAFrame);
            return;
        }
        for (const xcb_atom_t wanted : {m_atoms.csv, m_atoms.utf8String, m_atoms.textPlainUtf8, m_atoms.textPlain,
                                        xcb_atom_t(XCB_ATOM_STRING)})
            if (std::find(offered.begin(), offered.end(), wanted) != offered.end()) {
                ask(Asking::Text, wanted);
                return;
            }
        done();
        return;
    }
    const xcb_atom_t target = m_askingTarget;
    if (what == Asking::Payload && !value.startsWith(FrameMagic)) {
        // Some owners (xclip) hand out their one value whatever target is asked for: text that
        // is not a frame. A receiver asks which targets there really are; a sender ignores it.
        if (m_watch == Watch::Frames) {
            m_notAFrame = value;
            ask(Asking::Targets, m_atoms.targets);
        } else {
            done();
        }
        return;
    }
    done(); // before emitting: a slot may offer something, or ask us to go
    if (what == Asking::Text)
        emit textArrived(target == XCB_ATOM_STRING ? QString::fromLatin1(value).toUtf8() : value);
    else if (m_watch == Watch::Frames)
        emit frameArrived(value);
    else
        emit replyArrived(value);
}

void XcbClipboardChannel::giveUp(const QString &why)
{
    if (m_incoming) {
        const QString what = m_asking == Asking::Payload
            ? (m_watch == Watch::Frames ? QStringLiteral("a frame") : QStringLiteral("a reply"))
            : m_asking == Asking::Text ? QStringLiteral("copied text") : QStringLiteral("its list of formats");
        const QString sentence = QStringLiteral("The clipboard's owner was handing over %1 piece by piece (INCR); it was "
                                                "given up after %2 bytes had arrived: %3.")
                                     .arg(what).arg(m_received.size()).arg(why);
        // The owner may still write its next piece: into a window that is gone, not into
        // the answer to what we ask next.
        xcb_destroy_window(m_connection, m_reader);
        m_reader = createWindow(XCB_EVENT_MASK_PROPERTY_CHANGE);
        done(); // before emitting: a slot may ask us to go
        emit inputDropped(sentence);
        return;
    }
    done();
}

void XcbClipboardChannel::done()
{
    m_notAFrame.clear();
    m_asking = Asking::Nothing;
    m_incoming = false;
    m_received.clear();
    m_conversionTimeout.stop();
    m_supersededTimeout.stop();
    if (m_askAgain) {
        m_askAgain = false;
        askForPayload();
    }
}

} // namespace

ClipboardChannel *createXcbClipboardChannel(ClipboardChannel::Watch watch, QObject *parent, QString *error)
{
    auto *channel = new XcbClipboardChannel(watch, parent);
    *error = channel->connectToDisplay();
    if (error->isEmpty())
        return channel;
    delete channel;
    return nullptr;
}

#else // !IPCW_CLIPBOARD_XCB

ClipboardChannel *createXcbClipboardChannel(ClipboardChannel::Watch, QObject *, QString *error)
{
    *error = QStringLiteral("This build has no xcb clipboard backend.");
    return nullptr;
}

#endif
