# 510: fileinto a mailbox name from a header value
require ["fileinto", "variables"];
if header :matches "x-bracket" "*" { fileinto "${1}"; }
