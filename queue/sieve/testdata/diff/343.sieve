# 343: header with a number as header name
if header :is 5 "x" { keep; }
