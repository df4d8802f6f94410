# 424: body :content message/rfc822
require ["fileinto", "body"];
if body :content "message/rfc822" :contains "inner-body-marker" { fileinto "Rfc822"; } else { fileinto "No"; }
