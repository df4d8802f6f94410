# 441: regex and :count are different match types, both together is invalid
require ["regex", "relational"];
if header :regex :count "eq" "subject" "1" { keep; }
