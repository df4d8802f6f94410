# 313: regex on an address
require ["fileinto", "regex", "variables"];
if address :regex :domain "from" "^ex.*\\.net$" { fileinto "RxAddr"; }
