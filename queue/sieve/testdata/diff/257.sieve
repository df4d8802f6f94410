# 257: fileinto with the same mailbox twice and different flags
require ["fileinto", "imap4flags"];
fileinto :flags "A" "Box";
fileinto :flags "B" "Box";
