// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;

// The shared-memory transport's way to wait for records (block, spin then block, spin), as a
// labelled choice under the address. The address stays the one place the choice lives: picking
// one writes ?wait=... into the address field, and typing one there moves the choice.
class WaitStrategyRow : public QWidget
{
    Q_OBJECT
public:
    WaitStrategyRow(QLineEdit *address, QWidget *parent = nullptr);

    // The value of `key` in the address's query ("name?size=8M&wait=spin"), or "".
    static QString addressOption(const QString &address, const QString &key);
    // The address with `key` set to `value`, or removed when `value` is empty.
    static QString withAddressOption(const QString &address, const QString &key, const QString &value);

private:
    void showAddressChoice();
    void writeChoiceToAddress();

    QLineEdit *m_address;
    QComboBox *m_wait;
};
