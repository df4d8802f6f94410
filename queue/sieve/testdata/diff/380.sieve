# 380: fileinto INBOX with flags and keep merge
require ["fileinto", "imap4flags"];
fileinto :flags "A" "INBOX";
keep;
