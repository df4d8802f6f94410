# 176: variable holding a header value
require ["fileinto", "variables"];
if header :matches "from" "*" { set "f" "${1}"; }
if string :contains "${f}" "Alice" { fileinto "FromAlice"; }
