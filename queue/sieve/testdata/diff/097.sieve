# 097: envelope from
require ["envelope", "fileinto"];
if envelope :is "from" "alice@example.net" { fileinto "Env"; }
