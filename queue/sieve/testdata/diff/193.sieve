# 193: body :contains default :text
require ["fileinto", "body"];
if body :contains "meet on Tuesday" { fileinto "Body"; }
