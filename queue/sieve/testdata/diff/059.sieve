# 059: RFC 2047: the encoded form is not matched
require "fileinto";
if header :contains "subject" "=?UTF-8?B?" { fileinto "Raw"; } else { fileinto "NotRaw"; }
