# 101: envelope :localpart :matches
require ["envelope", "fileinto"];
if envelope :localpart :matches "from" "bounce-*" { fileinto "Bounce"; }
