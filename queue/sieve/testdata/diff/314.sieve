# 314: regex on envelope
require ["fileinto", "regex", "envelope"];
if envelope :regex "from" "^[a-z]+@" { fileinto "RxEnv"; }
