# 102: envelope with several parts
require ["envelope", "fileinto"];
if envelope :contains ["from", "to"] "example.com" { fileinto "Any"; }
