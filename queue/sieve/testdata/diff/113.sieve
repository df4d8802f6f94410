# 113: subaddress :user on a header address
require ["subaddress", "fileinto"];
if address :user :is "reply-to" "jdoe" { fileinto "User"; }
