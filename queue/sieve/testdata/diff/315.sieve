# 315: regex on body
require ["fileinto", "regex", "body"];
if body :regex "meet on (Mon|Tues)day" { fileinto "RxBody"; }
