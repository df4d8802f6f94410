# 267: fileinto :create :copy :flags
require ["fileinto", "mailbox", "copy", "imap4flags"];
fileinto :create :copy :flags "\\Seen" "Both";
