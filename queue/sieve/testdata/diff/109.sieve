# 109: subaddress :user of envelope to
require ["envelope", "subaddress", "fileinto"];
if envelope :user :is "to" "me" { fileinto "User"; }
