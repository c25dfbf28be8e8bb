"""Files bangfu reads and writes (an adapter, like Telegram): the six forms' workbooks, the
summary's spreadsheet and chart, roster files and the roster template."""
