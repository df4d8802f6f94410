# 099: envelope differs from the header From
require ["envelope", "fileinto"];
if envelope :is "from" "bounce-123@lists.example.org" { fileinto "Bounce"; }
if address :is "from" "alice@example.net" { fileinto "Hdr"; }
