# 317: regex no match
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^Tuesday" { fileinto "Rx"; } else { fileinto "NoRx"; }
