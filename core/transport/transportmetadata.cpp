// SPDX-License-Identifier: GPL-3.0-or-later
#include "transportmetadata.h"

#include <QJsonArray>
#include <QLocale>

#include <cmath>

namespace {

// A size in bytes from JSON, or -1 when it is not a whole number a qint64 holds exactly
// (converting 1e300 to an integer is undefined behaviour, and a plugin file can say anything).
qint64 byteCount(const QJsonValue &value)
{
    const double bytes = value.toDouble(0);
    constexpr double Largest = 9007199254740992.0; // 2^53: every whole number below is exact
    if (!(bytes >= 0 && bytes <= Largest) || std::floor(bytes) != bytes)
        return -1;
    return qint64(bytes);
}

} // namespace

QString TransportCapabilities::scopeName(Scope scope)
{
    switch (scope) {
    case Scope::ThisMachine: return QStringLiteral("this machine");
    case Scope::Lan: return QStringLiteral("LAN");
    case Scope::Internet: return QStringLiteral("internet");
    }
    return {};
}

QString TransportCapabilities::summary() const
{
    QStringList parts;
    parts << (reliable ? QStringLiteral("reliable") : QStringLiteral("lossy"));
    parts << (ordered ? QStringLiteral("ordered") : QStringLiteral("unordered"));
    parts << (messageOriented ? QStringLiteral("messages") : QStringLiteral("stream"));
    if (maxMessageBytes > 0)
        parts << QStringLiteral("max %1").arg(QLocale::c().formattedDataSize(maxMessageBytes, 0, QLocale::DataSizeTraditionalFormat));
    if (osMessageBytes > 0)
        parts << QStringLiteral("OS message %1").arg(QLocale::c().formattedDataSize(osMessageBytes, 0, QLocale::DataSizeTraditionalFormat));
    parts << scopeName(scope);
    parts << (duplex ? QStringLiteral("duplex") : QStringLiteral("one-way"));
    if (multipleSenders)
        parts << QStringLiteral("several senders");
    if (fanOut)
        parts << QStringLiteral("one to many");
    else if (multipleReceivers)
        parts << QStringLiteral("many receivers");
    return parts.join(QStringLiteral(", "));
}

QString TransportMetadata::fromJson(const QJsonObject &json, TransportMetadata *out)
{
    TransportMetadata m;
    m.id = json.value(QLatin1String("id")).toString();
    m.name = json.value(QLatin1String("name")).toString();
    m.version = json.value(QLatin1String("version")).toString();
    m.apiVersion = json.value(QLatin1String("apiVersion")).toInt(0);
    for (const QJsonValue &p : json.value(QLatin1String("platforms")).toArray())
        m.platforms << p.toString();
    m.description = json.value(QLatin1String("description")).toString();
    m.defaultAddress = json.value(QLatin1String("defaultAddress")).toString();
    m.addressHelp = json.value(QLatin1String("addressHelp")).toString();
    if (m.id.isEmpty() || m.name.isEmpty())
        return QStringLiteral("The plugin's metadata has no \"id\" or \"name\".");
    if (m.defaultAddress.isEmpty())
        return QStringLiteral("The plugin's metadata has no \"defaultAddress\".");

    const QJsonObject caps = json.value(QLatin1String("capabilities")).toObject();
    if (caps.isEmpty())
        return QStringLiteral("The plugin's metadata has no \"capabilities\" object.");
    TransportCapabilities &c = m.capabilities;
    c.reliable = caps.value(QLatin1String("reliable")).toBool(true);
    c.ordered = caps.value(QLatin1String("ordered")).toBool(true);
    c.messageOriented = caps.value(QLatin1String("messageOriented")).toBool(false);
    c.maxMessageBytes = byteCount(caps.value(QLatin1String("maxMessageBytes")));
    c.osMessageBytes = byteCount(caps.value(QLatin1String("osMessageBytes")));
    if (c.maxMessageBytes < 0 || c.osMessageBytes < 0)
        return QStringLiteral("The plugin's metadata gives \"maxMessageBytes\" or \"osMessageBytes\" that is not a "
                              "whole number of bytes from 0 to 2^53.");
    c.duplex = caps.value(QLatin1String("duplex")).toBool(true);
    c.multipleSenders = caps.value(QLatin1String("multipleSenders")).toBool(false);
    c.fanOut = caps.value(QLatin1String("fanOut")).toBool(false);
    c.multipleReceivers = caps.value(QLatin1String("multipleReceivers")).toBool(false);
    c.knowsReceivers = caps.value(QLatin1String("knowsReceivers")).toBool(false);
    const QString scope = caps.value(QLatin1String("scope")).toString(QStringLiteral("machine"));
    if (scope == QLatin1String("machine"))
        c.scope = TransportCapabilities::Scope::ThisMachine;
    else if (scope == QLatin1String("lan"))
        c.scope = TransportCapabilities::Scope::Lan;
    else if (scope == QLatin1String("internet"))
        c.scope = TransportCapabilities::Scope::Internet;
    else
        return QStringLiteral("The plugin's metadata has an unknown scope \"%1\" (machine, lan or internet).").arg(scope);
    *out = m;
    return {};
}

bool TransportMetadata::supportsThisPlatform() const
{
#if defined(Q_OS_WIN)
    return platforms.contains(QLatin1String("windows"));
#elif defined(Q_OS_LINUX)
    return platforms.contains(QLatin1String("linux"));
#else
    return platforms.contains(QLatin1String("posix"));
#endif
}
