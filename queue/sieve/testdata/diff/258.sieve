# 258: keep twice with different flags
require ["fileinto", "imap4flags"];
keep :flags "A";
keep :flags "B";
