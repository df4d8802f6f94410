# 550: RFC 2047: white space between an encoded word and one with an unknown encoding
require ["fileinto", "encoded-character"];
if header :contains "x-h" "${hex:09}" { fileinto "TabKept"; } else { fileinto "TabDropped"; }
