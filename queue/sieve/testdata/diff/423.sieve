# 423: body :text reaches into a message/rfc822 part
require ["fileinto", "body"];
if body :text :contains "inner-body-marker" { fileinto "Inner"; } else { fileinto "No"; }
