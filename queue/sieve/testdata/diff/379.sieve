# 379: keep :flags from a variable
require ["imap4flags", "variables"];
set "f" "\\Seen $Label1";
keep :flags "${f}";
