// SPDX-License-Identifier: GPL-3.0-or-later
// Plugin JSON metadata: read from any file in the plugin folders without loading it, so any
// bytes. The input goes through QJsonDocument::fromJson, as the plugin manager's metadata does,
// then TransportMetadata::fromJson on the object and on its "MetaData" member.
#include "fuzzharness.h"

#include "transportmetadata.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace {

using Fuzz::require;

void checkMetadata(const QJsonObject &json)
{
    TransportMetadata out;
    out.id = QStringLiteral("untouched");
    const QString error = TransportMetadata::fromJson(json, &out);
    if (!error.isEmpty()) {
        require(out.id == QLatin1String("untouched") && out.name.isEmpty(), "refused metadata leaves the output untouched");
        return;
    }
    require(!out.id.isEmpty() && !out.name.isEmpty() && !out.defaultAddress.isEmpty(),
            "accepted metadata names the plugin and its default address");
    const TransportCapabilities &c = out.capabilities;
    require(c.maxMessageBytes >= 0 && c.osMessageBytes >= 0, "message sizes are never negative");
    require(!c.summary().isEmpty() && !TransportCapabilities::scopeName(c.scope).isEmpty(), "capabilities have words");
    out.supportsThisPlatform();

    TransportMetadata again;
    require(TransportMetadata::fromJson(json, &again).isEmpty() && again.id == out.id && again.name == out.name
                && again.capabilities.summary() == c.summary(),
            "reading the same metadata twice gives the same result");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)), &parseError);
    if (!document.isObject())
        return 0;
    const QJsonObject json = document.object();
    checkMetadata(json);
    checkMetadata(json.value(QLatin1String("MetaData")).toObject());
    return 0;
}
