# 480: keep :flags without imap4flags is invalid
keep :flags "\\Seen";
