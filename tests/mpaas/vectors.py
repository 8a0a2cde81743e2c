"""Known-answer inputs and outputs copied from the wire reference, section 5.3."""

from __future__ import annotations

ACCESS_KEY_ID = "testid"
SECRET = "testsecret"
NONCE = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
TIMESTAMP = "2026-11-26T08:00:00Z"
HOST = "mpaas.cn-hangzhou.aliyuncs.com"
TEMPLATE_KV_JSON = '{"money":"200","name":"Zhang San"}'

BUSINESS = {
    "AppId": "ONEX570DA89211721",
    "WorkspaceId": "test",
    "DeliveryType": "3",
    "TaskName": "Multiple test",
    "TemplateName": "Test template",
    "ExpiredSeconds": "600",
    "TargetMsg.1.TemplateKeyValue": TEMPLATE_KV_JSON,
    "TargetMsg.1.MsgKey": "1578807462788",
    "TargetMsg.1.Target": "userid1024",
}

# ---- A: legacy core, V1, 2019-08-21
A_QUERY = {
    "Version": "2019-08-21",
    "Action": "PushMultiple",
    "Format": "JSON",
    "RegionId": "cn-hangzhou",
    "Timestamp": TIMESTAMP,
    "SignatureMethod": "HMAC-SHA1",
    "SignatureType": "",
    "SignatureVersion": "1.0",
    "SignatureNonce": NONCE,
    "AccessKeyId": ACCESS_KEY_ID,
}
A_BODY = (
    b"AppId=ONEX570DA89211721&WorkspaceId=test&DeliveryType=3&TaskName=Multiple+test"
    b"&TemplateName=Test+template&ExpiredSeconds=600&TargetMsg.1.TemplateKeyValue="
    b"%7B%22money%22%3A%22200%22%2C%22name%22%3A%22Zhang+San%22%7D"
    b"&TargetMsg.1.MsgKey=1578807462788&TargetMsg.1.Target=userid1024"
)
A_CANONICAL = (
    "AccessKeyId=testid&Action=PushMultiple&AppId=ONEX570DA89211721&DeliveryType=3"
    "&ExpiredSeconds=600&Format=JSON&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureType=&SignatureVersion=1.0"
    "&TargetMsg.1.MsgKey=1578807462788&TargetMsg.1.Target=userid1024"
    "&TargetMsg.1.TemplateKeyValue=%7B%22money%22%3A%22200%22%2C%22name%22%3A%22Zhang%20San%22%7D"
    "&TaskName=Multiple%20test&TemplateName=Test%20template&Timestamp=2026-11-26T08%3A00%3A00Z"
    "&Version=2019-08-21&WorkspaceId=test"
)
A_STRING_TO_SIGN = (
    "POST&%2F&AccessKeyId%3Dtestid%26Action%3DPushMultiple%26AppId%3DONEX570DA89211721"
    "%26DeliveryType%3D3%26ExpiredSeconds%3D600%26Format%3DJSON%26RegionId%3Dcn-hangzhou"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
    "%26SignatureType%3D%26SignatureVersion%3D1.0%26TargetMsg.1.MsgKey%3D1578807462788"
    "%26TargetMsg.1.Target%3Duserid1024%26TargetMsg.1.TemplateKeyValue%3D%257B%2522money%2522"
    "%253A%2522200%2522%252C%2522name%2522%253A%2522Zhang%2520San%2522%257D%26TaskName%3D"
    "Multiple%2520test%26TemplateName%3DTest%2520template%26Timestamp%3D2026-11-26T08%253A00"
    "%253A00Z%26Version%3D2019-08-21%26WorkspaceId%3Dtest"
)
A_SIGNATURE = "l+XndBTaZ/6/KgB6x13tXuhYFao="
A2_TEMPLATE_KV_REPR = "{'money': '200', 'name': 'Zhang San'}"
A2_SIGNATURE = "QbCBK0Ki6oTji2B31GugaGbKZBw="

# ---- B: Tea SDK, V1, 2020-07-10
B_QUERY = {
    "AccessKeyId": ACCESS_KEY_ID,
    "Action": "PushMultiple",
    "Format": "json",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": NONCE,
    "SignatureVersion": "1.0",
    "Timestamp": TIMESTAMP,
    "Version": "2020-07-10",
}
B_BODY = (
    b"AppId=ONEX570DA89211721&DeliveryType=3&ExpiredSeconds=600&TargetMsg.1.MsgKey=1578807462788"
    b"&TargetMsg.1.Target=userid1024&TargetMsg.1.TemplateKeyValue="
    b"%7B%22money%22%3A%22200%22%2C%22name%22%3A%22Zhang+San%22%7D&TaskName=Multiple+test"
    b"&TemplateName=Test+template&WorkspaceId=test"
)
B_STRING_TO_SIGN = (
    "POST&%2F&AccessKeyId%3Dtestid%26Action%3DPushMultiple%26AppId%3DONEX570DA89211721"
    "%26DeliveryType%3D3%26ExpiredSeconds%3D600%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
    "%26TargetMsg.1.MsgKey%3D1578807462788%26TargetMsg.1.Target%3Duserid1024"
    "%26TargetMsg.1.TemplateKeyValue%3D%257B%2522money%2522%253A%2522200%2522%252C%2522name"
    "%2522%253A%2522Zhang%2520San%2522%257D%26TaskName%3DMultiple%2520test%26TemplateName%3D"
    "Test%2520template%26Timestamp%3D2026-11-26T08%253A00%253A00Z%26Version%3D2020-07-10"
    "%26WorkspaceId%3Dtest"
)
B_SIGNATURE = "tU2Sy3janoMzxRvUcFD6jNL1BKQ="

# ---- C / C2: V3, 2020-07-10 (body identical to B)
BODY_SHA256 = "80c209b6002348f5491f4527a5c93b0fde913f54a901db7fabd00b8ea97544f3"
C_HEADERS = {
    "accept": "application/json",
    "content-type": "application/x-www-form-urlencoded",
    "host": HOST,
    "user-agent": "pushadmin-vector/1.0",
    "x-acs-action": "PushMultiple",
    "x-acs-content-sha256": BODY_SHA256,
    "x-acs-credentials-provider": "static_ak",
    "x-acs-date": TIMESTAMP,
    "x-acs-signature-nonce": NONCE,
    "x-acs-version": "2020-07-10",
}
C_CANONICAL_REQUEST = (
    "POST\n/\n\n"
    "accept:application/json\n"
    "content-type:application/x-www-form-urlencoded\n"
    f"host:{HOST}\n"
    "user-agent:pushadmin-vector/1.0\n"
    "x-acs-action:PushMultiple\n"
    f"x-acs-content-sha256:{BODY_SHA256}\n"
    "x-acs-credentials-provider:static_ak\n"
    f"x-acs-date:{TIMESTAMP}\n"
    f"x-acs-signature-nonce:{NONCE}\n"
    "x-acs-version:2020-07-10\n\n"
    "accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;"
    "x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
    f"{BODY_SHA256}"
)
C_STRING_TO_SIGN = "ACS3-HMAC-SHA256\n8c6be25467acb5f2946a4178cc18e268bbd2a0376cd47e76a7bbd8f72d15a518"
C_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;content-type;host;user-agent;"
    "x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
    "x-acs-signature-nonce;x-acs-version,"
    "Signature=972936a6e07f9e710c8cd740b505b0642c582b071403bfd531411f71cfa708a8"
)
C2_SIGNED = [
    "content-type",
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
]
C2_STRING_TO_SIGN = "ACS3-HMAC-SHA256\n5a45fa53292be69bbf04baf1a24ad4aaff8afdd982be6fbe82c78502f33c08bf"
C2_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=content-type;host;x-acs-action;"
    "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
    "Signature=0204a5da4f3e943909344a8fb7062d72f9415bd42cc57e9cf69195c1dc7be990"
)
