# 098: envelope to
require ["envelope", "fileinto"];
if envelope :is "to" "me@example.com" { fileinto "Env"; }
