// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchfloorxcb.h"

#if defined(IPCW_HAVE_XCB)

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ipcw::bench {

namespace {

constexpr std::size_t HeaderBytes = 8;
// A peer that stopped answering (or a client that died) ends the wait, as the other floors' do.
constexpr int IdleTimeoutMs = 30'000;
// A process about to close still owns the selection holding its last message (the peer's
// answer to Stop): it stays to hand it over, for this long at most.
constexpr int ServeOnCloseMs = 2'000;
// A property's request header: what one X request holds besides the value.
constexpr std::size_t ChangePropertyHeaderBytes = 24;

xcb_atom_t internAtom(xcb_connection_t *connection, const std::string &name)
{
    xcb_intern_atom_reply_t *reply =
        xcb_intern_atom_reply(connection, xcb_intern_atom(connection, 0, std::uint16_t(name.size()), name.c_str()), nullptr);
    const xcb_atom_t atom = reply ? reply->atom : xcb_atom_t(XCB_ATOM_NONE);
    std::free(reply);
    return atom;
}

// One side of the floor: an X connection, an input-only window that owns the selection or
// receives its conversions, the message it offers and the bytes it has read but not taken.
// Client and peer are alike: each writes by becoming the owner and reads by converting.
class XcbSelectionLink final : public FloorLink
{
public:
    static std::unique_ptr<XcbSelectionLink> open(const std::string &address, std::string *error)
    {
        auto link = std::unique_ptr<XcbSelectionLink>(new XcbSelectionLink);
        *error = link->connect(address);
        return error->empty() ? std::move(link) : nullptr;
    }

    ~XcbSelectionLink() override
    {
        using Clock = std::chrono::steady_clock;
        const auto deadline = Clock::now() + std::chrono::milliseconds(ServeOnCloseMs);
        while (m_connection && !m_offer.empty() && !m_offerServed && Clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (!handleNextEvent(int(std::max<long long>(1, left))).empty())
                break;
        }
        if (m_connection) {
            // A round trip first: the X server has then carried out the last conversion's
            // SendEvent. Seen without it: a client that closes at once (with events still
            // unread) sometimes lost that event, and the reader waited in vain.
            std::free(xcb_get_input_focus_reply(m_connection, xcb_get_input_focus(m_connection), nullptr));
            if (m_window)
                xcb_destroy_window(m_connection, m_window);
            xcb_disconnect(m_connection);
        }
    }

    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        std::uint32_t body = 0;
        if (size < HeaderBytes || (std::memcpy(&body, data, 4), size != HeaderBytes + body))
            return "The clipboard floor sends whole floor messages only.";
        if (size + ChangePropertyHeaderBytes > m_maxRequestBytes)
            return "A floor message of " + std::to_string(size) + " bytes does not fit one X request ("
                   + std::to_string(m_maxRequestBytes) + " bytes); the floor has no INCR transfers.";
        m_offer.assign(data, data + size);
        m_offerServed = false;
        xcb_set_selection_owner(m_connection, m_window, m_selection, XCB_CURRENT_TIME);
        return flush();
    }

    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (m_read.size() - m_offset < size)
            if (std::string error = handleNextEvent(IdleTimeoutMs); !error.empty())
                return error;
        std::memcpy(data, m_read.data() + m_offset, size);
        m_offset += size;
        if (m_offset == m_read.size()) {
            m_read.clear();
            m_offset = 0;
        }
        return {};
    }

    // Latest value wins: a second message would replace the first before it was read.
    int maxWindow() const override { return 1; }

private:
    XcbSelectionLink() = default;

    std::string connect(const std::string &address)
    {
        const char *display = std::getenv("DISPLAY");
        if (!display || !*display)
            return "The clipboard floor needs an X display, and DISPLAY is not set.";
        int screenNumber = 0;
        m_connection = xcb_connect(nullptr, &screenNumber);
        if (xcb_connection_has_error(m_connection))
            return std::string("Cannot connect to the X display ") + display + ".";
        xcb_screen_iterator_t screens = xcb_setup_roots_iterator(xcb_get_setup(m_connection));
        for (int i = 0; i < screenNumber && screens.rem; ++i)
            xcb_screen_next(&screens);
        if (!screens.rem)
            return std::string("The X display ") + display + " has no screen " + std::to_string(screenNumber) + ".";
        const xcb_query_extension_reply_t *xfixes = xcb_get_extension_data(m_connection, &xcb_xfixes_id);
        if (!xfixes || !xfixes->present)
            return std::string("The X display ") + display + " has no XFixes extension, which tells a reader the selection changed.";
        m_xfixesFirstEvent = xfixes->first_event;
        // XFixes answers nothing before its version is asked (its specification).
        std::free(xcb_xfixes_query_version_reply(m_connection, xcb_xfixes_query_version(m_connection, 5, 0), nullptr));

        m_window = xcb_generate_id(m_connection);
        xcb_create_window(m_connection, XCB_COPY_FROM_PARENT, m_window, screens.data->root, 0, 0, 1, 1, 0,
                          XCB_WINDOW_CLASS_INPUT_ONLY, screens.data->root_visual, 0, nullptr);
        m_selection = internAtom(m_connection, "_IPCW_FLOOR_" + address);
        m_target = internAtom(m_connection, "IPCW_FLOOR_MESSAGE");
        m_property = internAtom(m_connection, "_IPCW_FLOOR_DATA");
        if (m_selection == XCB_ATOM_NONE || m_target == XCB_ATOM_NONE || m_property == XCB_ATOM_NONE)
            return "The X server did not name the clipboard floor's atoms.";
        xcb_xfixes_select_selection_input(m_connection, m_window, m_selection,
                                          XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER);
        m_maxRequestBytes = std::size_t(xcb_get_maximum_request_length(m_connection)) * 4; // BIG-REQUESTS if offered
        return flush();
    }

    std::string flush()
    {
        return xcb_flush(m_connection) > 0 ? std::string() : std::string("The connection to the X server broke.");
    }

    // Waits at most `timeoutMs` for one event and acts on it.
    std::string handleNextEvent(int timeoutMs)
    {
        for (;;) {
            if (xcb_generic_event_t *event = xcb_poll_for_event(m_connection)) {
                const std::string error = handle(event);
                std::free(event);
                return error;
            }
            if (xcb_connection_has_error(m_connection))
                return "The connection to the X server broke.";
            pollfd wait{xcb_get_file_descriptor(m_connection), POLLIN, 0};
            const int ready = ::poll(&wait, 1, timeoutMs);
            if (ready == 0)
                return "Nothing came through the X selection for " + std::to_string(timeoutMs / 1000) + " s.";
            if (ready < 0 && errno != EINTR)
                return std::string("poll() on the X connection failed: ") + std::strerror(errno) + ".";
        }
    }

    std::string handle(const xcb_generic_event_t *event)
    {
        const int type = event->response_type & 0x7f;
        if (type == 0)
            return "The X server refused a clipboard floor request (error code "
                   + std::to_string(reinterpret_cast<const xcb_generic_error_t *>(event)->error_code) + ").";
        if (type == m_xfixesFirstEvent + XCB_XFIXES_SELECTION_NOTIFY)
            return ownerChanged(*reinterpret_cast<const xcb_xfixes_selection_notify_event_t *>(event));
        if (type == XCB_SELECTION_REQUEST)
            return convert(*reinterpret_cast<const xcb_selection_request_event_t *>(event));
        if (type == XCB_SELECTION_NOTIFY)
            return readConverted(*reinterpret_cast<const xcb_selection_notify_event_t *>(event));
        return {}; // SelectionClear: the other side took the selection for its own message
    }

    // The reader's side: another window took the selection, so it holds a new message.
    std::string ownerChanged(const xcb_xfixes_selection_notify_event_t &notify)
    {
        if (notify.selection != m_selection || notify.owner == m_window || notify.owner == XCB_NONE)
            return {};
        xcb_convert_selection(m_connection, m_window, m_selection, m_target, m_property, notify.selection_timestamp);
        return flush();
    }

    // The owner's side: write the offered message into the reader's property and tell it.
    std::string convert(const xcb_selection_request_event_t &request)
    {
        xcb_selection_notify_event_t answer {};
        answer.response_type = XCB_SELECTION_NOTIFY;
        answer.time = request.time;
        answer.requestor = request.requestor;
        answer.selection = request.selection;
        answer.target = request.target;
        answer.property = XCB_NONE; // refused, unless it is our message being asked for
        if (request.selection == m_selection && request.target == m_target && !m_offer.empty()) {
            xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, request.requestor, request.property, m_target, 8,
                                std::uint32_t(m_offer.size()), m_offer.data());
            answer.property = request.property;
            m_offerServed = true;
        }
        xcb_send_event(m_connection, 0, request.requestor, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char *>(&answer));
        return flush();
    }

    // The reader's side: the owner answered; take the property's value, deleting it.
    std::string readConverted(const xcb_selection_notify_event_t &notify)
    {
        if (notify.property == XCB_NONE)
            return "The selection's owner refused to hand over its message.";
        xcb_get_property_reply_t *reply = xcb_get_property_reply(
            m_connection, xcb_get_property(m_connection, 1, m_window, m_property, m_target, 0, std::uint32_t(m_maxRequestBytes / 4)),
            nullptr);
        if (!reply)
            return "The X server did not return the converted selection.";
        std::string error;
        if (reply->bytes_after != 0 || reply->format != 8)
            error = "The converted selection was not one whole message.";
        else {
            const auto *value = static_cast<const std::uint8_t *>(xcb_get_property_value(reply));
            m_read.insert(m_read.end(), value, value + xcb_get_property_value_length(reply));
        }
        std::free(reply);
        return error;
    }

    xcb_connection_t *m_connection = nullptr;
    xcb_window_t m_window = 0;
    xcb_atom_t m_selection = XCB_ATOM_NONE;
    xcb_atom_t m_target = XCB_ATOM_NONE;
    xcb_atom_t m_property = XCB_ATOM_NONE;
    int m_xfixesFirstEvent = 0;
    std::size_t m_maxRequestBytes = 0;
    std::vector<std::uint8_t> m_offer; // the message this side owns the selection for
    bool m_offerServed = false;
    std::vector<std::uint8_t> m_read;
    std::size_t m_offset = 0;
};

class XcbServer final : public FloorServer
{
public:
    std::string listen(const std::string &address, std::string *announce) override
    {
        std::string error;
        m_link = XcbSelectionLink::open(address, &error);
        *announce = address;
        return error;
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *) override
    {
        // Nothing to accept: the client makes itself known by taking the selection.
        return std::move(m_link);
    }

private:
    std::unique_ptr<XcbSelectionLink> m_link;
};

} // namespace

std::unique_ptr<FloorServer> createXcbFloorServer()
{
    return std::make_unique<XcbServer>();
}

std::unique_ptr<FloorLink> connectXcbFloor(const std::string &announced, std::string *error)
{
    return XcbSelectionLink::open(announced, error);
}

} // namespace ipcw::bench

#else // !IPCW_HAVE_XCB

namespace ipcw::bench {

std::unique_ptr<FloorServer> createXcbFloorServer()
{
    return nullptr;
}

std::unique_ptr<FloorLink> connectXcbFloor(const std::string &, std::string *error)
{
    *error = "The clipboard floor is built for X11 on Linux only.";
    return nullptr;
}

} // namespace ipcw::bench

#endif
