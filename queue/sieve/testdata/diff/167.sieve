# 167: match variable ? captures one character
require ["fileinto", "variables"];
if header :matches "subject" "M??ting*" { fileinto "${1}${2}"; }
