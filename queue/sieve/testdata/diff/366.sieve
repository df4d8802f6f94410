# 366: RFC 2047: a malformed encoded word stays as it is
require "fileinto";
if header :is "x-broken" "=?UTF-8?B?not base64!?=" { fileinto "Literal"; } else { fileinto "Changed"; }
