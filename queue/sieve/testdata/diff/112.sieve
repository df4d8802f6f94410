# 112: subaddress :detail on a header address
require ["subaddress", "fileinto"];
if address :detail :is "reply-to" "lists" { fileinto "Detail"; }
