# 103: envelope part name is case-insensitive
require ["envelope", "fileinto"];
if envelope :is "TO" "me@example.com" { fileinto "Upper"; }
