# 307: regex is unanchored
require ["fileinto", "regex", "variables"];
if header :regex "subject" "on Tue" { fileinto "Rx"; }
