# 246: keep :flags
require ["fileinto", "imap4flags"];
keep :flags ["\\Seen", "\\Draft"];
