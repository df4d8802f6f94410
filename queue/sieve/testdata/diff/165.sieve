# 165: match variables from :matches
require ["fileinto", "variables"];
if header :matches "subject" "* on *" { fileinto "${2}-${1}"; }
